/// The parameters of a request target's query (`?name=value&…`), with `+` and percent-escapes
/// decoded as HTML forms and `URLSearchParams` encode them.
struct QueryParameters: Sendable {
    /// The decoded name and value pairs, in order.
    let pairs: [(name: String, value: String)]

    /// Reads the query of `target`, the part after its first `?`; a target without one has none.
    init(target: Substring) {
        guard let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) else {
            self.pairs = []
            return
        }
        self.pairs = target[target.utf8.index(after: question)...].split(separator: "&").map { field in
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// The first value of `name`, if the query has it.
    subscript(name: String) -> String? {
        self.pairs.first { $0.name == name }?.value
    }

    /// `+` as a space and `%XX` as its byte; a `%` not followed by two hex digits stays as it is.
    /// Bytes that are not UTF-8 become U+FFFD.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var index = text.utf8.startIndex
        let end = text.utf8.endIndex
        while index < end {
            let byte = text.utf8[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"),
                let high = text.utf8.index(index, offsetBy: 1, limitedBy: end), high < end,
                let low = text.utf8.index(index, offsetBy: 2, limitedBy: end), low < end,
                let value = Self.hexValue(text.utf8[high]).flatMap({ high in Self.hexValue(text.utf8[low]).map { high << 4 | $0 } })
            {
                bytes.append(value)
                index = low
            } else {
                bytes.append(byte)
            }
            index = text.utf8.index(after: index)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
