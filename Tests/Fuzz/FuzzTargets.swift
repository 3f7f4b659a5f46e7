import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
@testable import WSGateCore
@testable import WSGateServer

/// The parsers that read what clients and upstreams send, each a function of bytes that must
/// return (with an error or a value) and never crash, for libFuzzer and the corpus runner.
enum FuzzTarget: String, CaseIterable {
    case json
    case sendBody = "send-body"
    case connectionConfig = "connection-config"
    case frames
    case inflater
    case httpRequest = "http-request"
    case upstreamHandshake = "upstream-handshake"

    /// Feeds `bytes` to the target's parser.
    func run(_ bytes: [UInt8]) {
        let buffer = ByteBuffer(bytes: bytes)
        switch self {
        case .json:
            _ = try? JSONValue(parsing: buffer)
        case .sendBody:
            // The first byte picks the Content-Type, the rest is the body.
            guard let first = bytes.first else { return }
            let mediaType = SendRequest.mediaTypes[Int(first) % SendRequest.mediaTypes.count]
            _ = try? SendRequest.messages(in: ByteBuffer(bytes: bytes.dropFirst()), mediaType: mediaType)
        case .connectionConfig:
            _ = try? ConnectRequest(body: buffer, defaults: ConnectionConfig())
        case .frames:
            FrameFeeder.feed(bytes)
        case .inflater:
            guard let inflater = try? MessageInflater(PermessageDeflate()) else { return }
            var message = ByteBuffer()
            if (try? inflater.inflate(buffer, onto: &message, limit: 1 << 20)) != nil {
                _ = try? inflater.finishMessage(onto: &message, limit: 1 << 20)
            }
        case .httpRequest:
            HTTPRequestFeeder.feed(bytes)
        case .upstreamHandshake:
            HandshakeFeeder.feed(bytes)
        }
    }
}

/// Feeds bytes to a ``WebSocketSession`` as an upstream's, in two reads split where the first
/// byte says; its second bit turns permessage-deflate on.
enum FrameFeeder {
    final class Observer: SessionObserver {
        func sessionReceived(_ messages: [Message]) {}
        func sessionFailed(_ description: String) {}
        func sessionCompletedClosingHandshake(_ outcome: CloseOutcome) {}
        func sessionSent(_ message: Message) {}
        func sessionEnded(_ outcome: CloseOutcome) {}
    }

    static func feed(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        var config = ConnectionConfig()
        config.maxMessageSize = 1 << 20
        config.maxFrameSize = 1 << 20
        config.pingIntervalMilliseconds = 0
        let channel = EmbeddedChannel()
        guard
            let session = try? WebSocketSession(
                config: config, deflate: first & 2 != 0 ? PermessageDeflate() : nil, closeTimeout: .seconds(1), observer: Observer()
            ),
            (try? channel.pipeline.syncOperations.addHandlers(WebSocketFrameEncoder(), session)) != nil
        else { return }
        let data = bytes.dropFirst()
        let split = data.startIndex + min(Int(first) / 4, data.count)
        _ = try? channel.writeInbound(ByteBuffer(bytes: data[..<split]))
        _ = try? channel.writeInbound(ByteBuffer(bytes: data[split...]))
        Self.finish(channel)
    }

    /// Closes `channel` and lets an hour pass, so that every timer a handler scheduled fires and
    /// nothing is left holding the pipeline, as on a real event loop.
    static func finish(_ channel: EmbeddedChannel) {
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        _ = try? channel.finish()
        channel.embeddedEventLoop.advanceTime(by: .hours(1))
        channel.embeddedEventLoop.run()
    }
}

/// Feeds bytes to a ``HandshakeHandler`` as an upstream's answer to the opening handshake, in
/// two reads split where the first byte says; its second bit offers permessage-deflate.
private enum HandshakeFeeder {
    static func feed(_ bytes: [UInt8]) {
        guard let first = bytes.first, let url = try? WebSocketURL("ws://127.0.0.1/") else { return }
        var config = ConnectionConfig()
        config.compression = first & 2 != 0
        config.pingIntervalMilliseconds = 0
        let channel = EmbeddedChannel()
        let handler = HandshakeHandler(
            url: url, config: config,
            makeWebSocketHandlers: { agreement in
                [WebSocketFrameEncoder(), try WebSocketSession(config: config, deflate: agreement.deflate, closeTimeout: .seconds(1), observer: FrameFeeder.Observer())]
            },
            promise: channel.eventLoop.makePromise()
        )
        guard (try? channel.pipeline.syncOperations.addHandler(handler)) != nil else { return }
        channel.pipeline.fireChannelActive()
        let data = bytes.dropFirst()
        let split = data.startIndex + min(Int(first) / 4, data.count)
        _ = try? channel.writeInbound(ByteBuffer(bytes: data[..<split]))
        _ = try? channel.writeInbound(ByteBuffer(bytes: data[split...]))
        FrameFeeder.finish(channel)
    }
}

/// Feeds bytes to the gateway's HTTP pipeline as a client's, with an egress policy that
/// refuses every upstream, so that nothing leaves the process.
private enum HTTPRequestFeeder {
    static let server: HTTPServer = {
        var configuration = GatewayConfiguration()
        configuration.pool.egress = EgressPolicy(deny: [try! EgressRule("*")])
        let logger = Logger(label: "wsgate-fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        let pool = ConnectionPool(settings: configuration.pool, logger: logger)
        let settings = LiveSettings(configuration)
        let router = APIRouter(routes: .api, settings: settings, endpoints: APIEndpoints(pool: pool, settings: settings, metrics: APIMetrics()))
        return HTTPServer(
            listen: [], unixSocketMode: 0o660, unixSocketGroup: nil, limits: configuration.http, router: router,
            streamSlots: EventStreamSlots(limit: 10), onListening: { _ in }, eventLoopGroup: EmbeddedEventLoop(), logger: logger
        )
    }()

    static func feed(_ bytes: [UInt8]) {
        let channel = EmbeddedChannel()
        guard (try? server.configure(channel)) != nil else { return }
        channel.pipeline.fireChannelActive()
        _ = try? channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.embeddedEventLoop.run()
        FrameFeeder.finish(channel)
    }
}

#if FUZZING
import Glibc

/// libFuzzer's entry point; `WSGATE_FUZZ_TARGET` names the target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.selected.run(start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The program's entry: SwiftPM links an executable's `main` to `<module>_main`, which would
/// otherwise leave libFuzzer's own `main` out; this one runs libFuzzer's driver.
@_cdecl("wsgate_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzzOneInput)
}

extension FuzzTarget {
    static let selected: FuzzTarget = {
        let name = getenv("WSGATE_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            print("Set WSGATE_FUZZ_TARGET to one of: \(allCases.map(\.rawValue).joined(separator: ", "))")
            exit(2)
        }
        return target
    }()
}
#else
import Foundation

/// Without libFuzzer: runs every file of `Tests/Fuzz/Corpus/<target>/` (or the directories given)
/// through its target, so that the corpus, and every crash found, stays a regression test.
@main
struct CorpusRunner {
    static func main() throws {
        let root = CommandLine.arguments.dropFirst().first ?? "Tests/Fuzz/Corpus"
        var inputs = 0
        for target in FuzzTarget.allCases {
            let directory = URL(fileURLWithPath: root).appendingPathComponent(target.rawValue)
            let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
            for file in files.sorted(by: { $0.path < $1.path }) {
                target.run(Array(try Data(contentsOf: file)))
                inputs += 1
            }
        }
        print("\(inputs) inputs ran through \(FuzzTarget.allCases.count) targets without a crash")
    }
}
#endif
