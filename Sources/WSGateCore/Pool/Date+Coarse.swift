import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Date {
    /// Now, from the kernel's coarse clock where there is one: at most a few milliseconds old,
    /// and read from memory without asking the hardware clock, which `Date()` does and which
    /// showed in profiles of a flood, where every message marks its connection active.
    static var coarseNow: Date {
        #if os(Linux)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return Date(timeIntervalSince1970: Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000)
        #else
        return Date()
        #endif
    }
}
