#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOCore
import WSGateCore

/// Writes each log event to standard error as one JSON object per line, for journald and log
/// shippers: `time`, `level`, `logger`, `message`, then the metadata (a connection's id, its
/// upstream's scheme, host and port, its outcome). Keys come sorted, so lines compare easily.
struct JSONLogHandler: LogHandler {
    /// The logger's label.
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = self.metadata.merging(event.metadata ?? [:]) { $1 }.mapValues(Self.json)
        fields["time"] = .string(Date.now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        fields["level"] = .string(event.level.rawValue)
        fields["logger"] = .string(self.label)
        fields["message"] = .string(event.message.description)
        var line = ByteBuffer()
        line.writeJSON(.object(fields))
        line.writeStaticString("\n")
        // One write per line, so that lines from several threads never interleave.
        line.withUnsafeReadableBytes { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let value): .string(value.description)
        case .array(let values): .array(values.map(Self.json))
        case .dictionary(let values): .object(values.mapValues(Self.json))
        }
    }
}
