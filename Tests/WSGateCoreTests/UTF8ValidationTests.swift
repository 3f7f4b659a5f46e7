import NIOCore
import Testing
import WSGateCore

/// Text payloads become strings only when they are valid UTF-8, whatever their length.
@Suite struct UTF8ValidationTests {
    @Test(arguments: [0, 1, 7, 8, 9, 16, 17, 33])
    func asciiAndMultiByteTextIsReadAtEveryLength(length: Int) {
        let ascii = String(repeating: "a", count: length)
        #expect(ByteBuffer(string: ascii).validatedUTF8String() == ascii)
        let mixed = ascii + "é😀"
        #expect(ByteBuffer(string: mixed).validatedUTF8String() == mixed)
    }

    @Test(arguments: [[0xC3], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]])
    func invalidBytesAreRefusedAtEveryOffset(invalid: [UInt8]) {
        for length in [0, 1, 7, 8, 9, 16, 17] {
            let bytes = Array(repeating: UInt8(ascii: "a"), count: length) + invalid
            #expect(ByteBuffer(bytes: bytes).validatedUTF8String() == nil)
            #expect(ByteBuffer(bytes: invalid + Array(repeating: UInt8(ascii: "a"), count: length)).validatedUTF8String() == nil)
        }
    }
}
