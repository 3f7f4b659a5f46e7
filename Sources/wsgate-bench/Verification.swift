import NIOCore

/// Checks that what arrived is exactly what the upstream sent.
enum Verification {
    private static let textPrefix = Array(#"{"type":"Text","data":""#.utf8)
    private static let textSuffix = Array(#""}"#.utf8)

    /// Whether `payload` is ``BenchPayload/text(index:size:allocator:)`` for `index` and `size`.
    static func isPayload(_ payload: ByteBufferView, index: Int, size: Int) -> Bool {
        guard payload.count == size else { return false }
        let digits = min(10, size)
        var number = 0
        for byte in payload.prefix(digits) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
            number = number * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard size < 10 || number == index else { return false }
        // Compare the filler in 8-byte words: a byte-by-byte loop would slow the reader down.
        let filler = payload.dropFirst(digits)
        return filler.withContiguousStorageIfAvailable { bytes in
            let pattern = UInt64(0x7878_7878_7878_7878)
            let raw = UnsafeRawBufferPointer(bytes)
            var offset = 0
            while offset + 8 <= raw.count {
                if raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != pattern { return false }
                offset += 8
            }
            return raw[offset...].allSatisfy { $0 == UInt8(ascii: "x") }
        } ?? filler.allSatisfy { $0 == UInt8(ascii: "x") }
    }

    /// Whether an event's `data` is the Text event of message `index` of `size` bytes.
    static func isTextEvent(_ data: ByteBuffer, index: Int, size: Int) -> Bool {
        let view = data.readableBytesView
        guard view.count == textPrefix.count + size + textSuffix.count, view.starts(with: textPrefix), view.suffix(2).elementsEqual(textSuffix)
        else { return false }
        return self.isPayload(view.dropFirst(textPrefix.count).dropLast(textSuffix.count), index: index, size: size)
    }

    /// Whether an event's `data` is a Close event.
    static func isCloseEvent(_ data: ByteBuffer) -> Bool {
        data.readableBytesView.starts(with: #"{"type":"Close""#.utf8)
    }

    /// The integer inside a Text event's data, e.g. `{"type":"Text","data":"42"}` is 42.
    static func textInteger(_ data: ByteBuffer) -> Int? {
        let view = data.readableBytesView
        guard view.starts(with: textPrefix), view.count > textPrefix.count + textSuffix.count else { return nil }
        return Int(String(decoding: view.dropFirst(textPrefix.count).dropLast(textSuffix.count), as: UTF8.self))
    }
}
