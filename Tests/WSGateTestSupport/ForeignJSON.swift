import Foundation
import WSGateCore

/// JSON read with Foundation's `JSONDecoder`, not the gateway's own reader, so that what the
/// tests see of the gateway's answers does not depend on the code under test.
struct ForeignJSON: Decodable {
    var value: JSONValue

    /// `text` as JSON, or `nil` if Foundation cannot read it.
    static func parse(_ text: some Sequence<UInt8>) -> JSONValue? {
        (try? JSONDecoder().decode(ForeignJSON.self, from: Data(text)))?.value
    }

    /// Decodes any JSON value; integers that fit an `Int` become `.integer`.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self.value = .null
        } else if let value = try? container.decode(Bool.self) {
            self.value = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self.value = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self.value = .number(value)
        } else if let value = try? container.decode(String.self) {
            self.value = .string(value)
        } else if let value = try? container.decode([ForeignJSON].self) {
            self.value = .array(value.map(\.value))
        } else {
            self.value = .object(try container.decode([String: ForeignJSON].self).mapValues(\.value))
        }
    }
}
