import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Many short TCP connections, one request each, as curl in a shell loop makes them: connect,
/// write the request, read the answer until the server closes or a response has arrived, close.
/// Blocking sockets on a thread of their own, so that thousands of them go fast without
/// holding up the test's event loops.
public enum ShortConnections {
    /// Makes `count` connections to 127.0.0.1:`port`, the i-th sending `requests[i % requests.count]`
    /// and then, if `endsOutput`, ending its half of the connection, so that a truncated request
    /// ends there. Returns how many got an answer that starts with `HTTP/1.`. The thread runs at
    /// the lowest priority, so that tests running beside it, some of which bound their waits, keep the CPU.
    public static func run(port: Int, count: Int, requests: [String], endsOutput: Bool = false) async -> Int {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                // On Linux a thread's id names it for setpriority; /proc/thread-self tells it.
                let thread = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"))?
                    .split(separator: "/").last.flatMap { id_t($0) }
                if let thread { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, 19) }
                var answered = 0
                for index in 0..<count where Self.exchange(port: port, request: requests[index % requests.count], endsOutput: endsOutput) {
                    answered += 1
                }
                continuation.resume(returning: answered)
            }
        }
    }

    /// One connection: whether an answer came.
    private static func exchange(port: Int, request: String, endsOutput: Bool) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let bytes = Array(request.utf8)
        guard send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return false }
        if endsOutput { shutdown(descriptor, Int32(SHUT_WR)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = recv(descriptor, &buffer, buffer.count, 0)
        return received > 0 && buffer.starts(with: Array("HTTP/1.".utf8))
    }
}
