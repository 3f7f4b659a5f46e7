import Logging
import NIOConcurrencyHelpers

/// The log level every logger of the process follows; a configuration reload changes it.
final class LogLevelSwitch: Sendable {
    private let box: NIOLockedValueBox<Logger.Level>

    init(_ level: Logger.Level) {
        self.box = NIOLockedValueBox(level)
    }

    /// The level now.
    var level: Logger.Level {
        get { self.box.withLockedValue { $0 } }
        set { self.box.withLockedValue { $0 = newValue } }
    }
}

/// A log handler whose level is the switch's, whatever a logger sets.
struct SwitchedLogHandler: LogHandler {
    /// The handler that writes the lines.
    var base: any LogHandler
    /// Where the level comes from.
    let levels: LogLevelSwitch

    var logLevel: Logger.Level {
        get { self.levels.level }
        set {}
    }

    var metadata: Logger.Metadata {
        get { self.base.metadata }
        set { self.base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.base[metadataKey: key] }
        set { self.base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        self.base.log(event: event)
    }
}
