import Foundation
import NIOCore

/// Opens bridged connections, each with its event stream, from one thread over non-blocking
/// sockets and poll(2), the way a load tool written in C would.
///
/// The connection scenario measures setups on the two cores the benchmark shares with the
/// gateway. Made with a NIO channel per client connection, the load cost about half as much CPU
/// again as the gateway's whole setup and the figure measured the harness as much as the gateway;
/// a socket and a few system calls per step cost a fraction of that.
struct RawStreamOpener: Sendable {
    let client: BenchHTTPClient

    /// One keep-alive connection that opens bridged connections one after the other.
    private struct Worker {
        let keepAlive: Int32
        var received = ByteBuffer()
        var remaining: Int
    }

    /// Opens `count` bridged connections to `upstreamURL` with `workers` keep-alive connections
    /// at a time, each `POST /connections` (201) followed by `GET …/events` (200); returns the
    /// event streams' sockets, open, each past its response head.
    func open(_ count: Int, workers workerCount: Int, upstreamURL: String) throws -> [Int32] {
        let post = HTTPFraming.request(
            "POST", "/connections", host: self.client.host, contentType: "application/json", body: #"{"url":"\#(upstreamURL)"}"#
        )
        var workers: [Worker] = []
        defer { for worker in workers { close(worker.keepAlive) } }
        // Worker i watches its keep-alive connection at 2i and the event stream it is opening at
        // 2i + 1 (-1 while its POST is under way; poll skips a negative descriptor).
        var watched: [pollfd] = []
        for index in 0..<min(workerCount, count) {
            let socket = try self.connectSocket()
            workers.append(Worker(keepAlive: socket, remaining: count / workerCount + (index < count % workerCount ? 1 : 0)))
            watched += [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: -1, events: Int16(POLLIN), revents: 0)]
            try Self.send(post, on: socket)
        }
        var streams: [Int32] = []
        streams.reserveCapacity(count)
        var isComplete = false
        defer {
            // After a failure: the streams opened, and those the workers were opening.
            let opening = stride(from: 1, to: watched.count, by: 2).map { watched[$0].fd }
            if !isComplete { for socket in streams + opening where socket >= 0 { close(socket) } }
        }
        while streams.count < count {
            let ready = poll(&watched, nfds_t(watched.count), 30_000)
            guard ready != 0 else { throw BenchError("the gateway did not answer within 30 s") }
            guard ready > 0 else {
                if errno == EINTR { continue }
                throw BenchError("poll failed: errno \(errno)")
            }
            for slot in watched.indices where watched[slot].revents != 0 {
                let index = slot / 2
                try Self.read(watched[slot].fd, into: &workers[index].received)
                if slot % 2 == 1 {
                    guard try Self.streamOpened(&workers[index]) else { continue }
                    // What the stream sends from now on stays in the socket: the scenario holds it open idle.
                    streams.append(watched[slot].fd)
                    watched[slot].fd = -1
                    if workers[index].remaining > 0 { try Self.send(post, on: workers[index].keepAlive) }
                } else if let id = try Self.connectionOpened(&workers[index].received) {
                    watched[slot + 1].fd = try self.connectSocket()
                    try Self.send(HTTPFraming.request("GET", "/connections/\(id)/events", host: self.client.host), on: watched[slot + 1].fd)
                }
            }
        }
        isComplete = true
        return streams
    }

    /// The id in the complete answer to a `POST /connections` at the start of `received`, which
    /// it consumes; `nil` while the answer is incomplete.
    private static func connectionOpened(_ received: inout ByteBuffer) throws -> String? {
        var unread = received
        guard let head = try HTTPFraming.readHead(from: &unread), let body = unread.readSlice(length: head.contentLength) else { return nil }
        received = unread
        return try BenchHTTPClient.connectionID(in: BenchHTTPClient.Response(status: head.status, body: body))
    }

    /// Whether the worker's event stream has its 200 head.
    private static func streamOpened(_ worker: inout Worker) throws -> Bool {
        guard let head = try HTTPFraming.readHead(from: &worker.received) else { return false }
        guard head.status == 200 else { throw BenchError("GET …/events answered \(head.status)") }
        worker.received.clear()
        worker.remaining -= 1
        return true
    }

    /// A TCP connection to the gateway, made with a blocking connect (on loopback it completes
    /// within the call), then non-blocking.
    private func connectSocket() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw BenchError("socket failed: errno \(errno)") }
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(self.client.port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0, fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK) == 0 else {
            let error = errno
            close(socket)
            throw BenchError("connecting to the gateway failed: errno \(error)")
        }
        return socket
    }

    /// Writes a whole request; a fresh socket's send buffer always has room for one.
    private static func send(_ request: ByteBuffer, on socket: Int32) throws {
        let written = request.withUnsafeReadableBytes { Glibc.write(socket, $0.baseAddress, $0.count) }
        guard written == request.readableBytes else { throw BenchError("writing a request wrote \(written) bytes: errno \(errno)") }
    }

    /// Appends what `socket` holds to `received`; throws when the gateway closed it.
    private static func read(_ socket: Int32, into received: inout ByteBuffer) throws {
        var count = 0
        var error: Int32 = 0
        received.writeWithUnsafeMutableBytes(minimumWritableBytes: 4096) { free in
            count = Glibc.read(socket, free.baseAddress, free.count)
            error = errno
            return max(0, count)
        }
        guard count != 0 else { throw BenchError("the gateway closed a connection mid-setup") }
        guard count > 0 || error == EAGAIN else { throw BenchError("reading from the gateway failed: errno \(error)") }
    }
}
