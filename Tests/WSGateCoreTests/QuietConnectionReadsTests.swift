import NIOCore
import Testing
import WSGateCore

/// The receive allocator of connections that are quiet most of the time: small while they are.
struct QuietConnectionReadsTests {
    @Test func theFirstReadIsSmallAndFullReadsGrowItToTheMaximum() {
        var allocator = AdaptiveRecvByteBufferAllocator.quietConnection(maximum: 64 * 1024)
        var sizes: [Int] = []
        while let size = allocator.nextBufferSize(), sizes.count < 10 {
            sizes.append(size)
            _ = allocator.record(actualReadBytes: size)
        }
        #expect(sizes == [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 65536, 65536])
    }

    /// `maximum` comes from a client's `readBufferSize`, which may be as small as 1 byte; NIO's
    /// allocator checks its sizes with preconditions at every read.
    @Test(arguments: [1, 2, 63, 100, 512, 1 << 40])
    func anyMaximumGivesReadsOfAtLeast64Bytes(maximum: Int) {
        var allocator = AdaptiveRecvByteBufferAllocator.quietConnection(maximum: maximum)
        #expect(allocator.nextBufferSize() == min(512, max(64, maximum).previousPowerOfTwo))
        for read in [1, 1, 1, 1 << 20, 1 << 20, 1] {
            _ = allocator.record(actualReadBytes: read)
            #expect((allocator.nextBufferSize() ?? 0) >= 64)
        }
    }
}

extension Int {
    /// The largest power of two not above this positive number.
    fileprivate var previousPowerOfTwo: Int { 1 << (Int.bitWidth - 1 - self.leadingZeroBitCount) }
}
