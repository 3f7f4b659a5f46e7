#if canImport(Glibc)
import Glibc
#endif
import WSGateCore

/// Who may connect to a Unix socket the gateway listens on: its file mode, and its group.
struct UnixSocketPermissions {
    /// The file mode, such as 0660.
    let mode: UInt16
    /// The group that owns the socket, if not the process's.
    let group: String?

    /// Sets the mode and group of the socket at `path`.
    func apply(to path: String) throws {
        if let group = self.group {
            guard let entry = getgrnam(group) else { throw InvalidInputError("listenSocket.group \"\(group)\" is not a group.") }
            guard chown(path, uid_t.max, entry.pointee.gr_gid) == 0 else {
                throw InvalidInputError("Cannot give \(path) to group \(group): \(String(cString: strerror(errno))).")
            }
        }
        guard chmod(path, mode_t(self.mode)) == 0 else {
            throw InvalidInputError("Cannot set the mode of \(path): \(String(cString: strerror(errno))).")
        }
    }
}
