import Foundation

/// CPU time, user and system together, in seconds: what a setup costs the gateway and the
/// harness on the cores they share.
enum CPUTime {
    /// This process's.
    static func ofThisProcess() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Self.seconds(usage.ru_utime) + Self.seconds(usage.ru_stime)
    }

    /// The process `pid`'s, from `/proc/<pid>/stat`; `nil` when unreadable.
    static func ofProcess(_ pid: Int32) -> Double? {
        // The fields after the parenthesised command name start with the state (field 3);
        // utime and stime are fields 14 and 15, in clock ticks.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let nameEnd = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000
    }
}
