#if canImport(Glibc)
import Glibc
#endif
import WSGateServer

/// Listening sockets passed by systemd's socket activation: `LISTEN_PID` names this process,
/// `LISTEN_FDS` counts the descriptors from 3 on, and `LISTEN_FDNAMES` names them.
enum SocketActivation {
    /// The sockets passed to this process, or `nil` when none were.
    static func inheritedListeners(environment: [String: String]) -> [ListenAddress]? {
        guard let pid = environment["LISTEN_PID"].flatMap({ Int32($0) }), pid == getpid(),
            let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count > 0
        else { return nil }
        let names = environment["LISTEN_FDNAMES"]?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
        // As sd_listen_fds does: children must not take these for their own.
        for variable in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(variable) }
        return (0..<count).map { index in
            let descriptor = Int32(3 + index)
            return .inherited(descriptor: descriptor, name: index < names.count ? names[index] : "fd\(descriptor)")
        }
    }
}
