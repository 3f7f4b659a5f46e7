import ArgumentParser
import NIOCore
import NIOPosix

// Swift Concurrency's jobs run on NIO's event loops, so the HTTP handlers, the event stream
// writers and the sockets share threads instead of handing work across two pools. This must
// happen on the main thread before any task starts, hence this file instead of `@main`.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// Runs the parsed command, its `async` `run()` if it has one: at top level, the synchronous
/// overload would shadow it.
func run(_ command: any ParsableCommand) async throws {
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
    } else {
        var command = command
        try command.run()
    }
}

do {
    try await run(WSGateCommand.parseAsRoot())
} catch {
    WSGateCommand.exit(withError: error)
}
