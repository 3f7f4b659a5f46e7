import Foundation
import WSGateCore

/// JSON read with Foundation's `JSONSerialization`, not the gateway's own reader, so that what
/// the tests see of the gateway's answers does not depend on the code under test.
///
/// Not `JSONDecoder`: reading a value of unknown type with it means trying each type in turn,
/// and every failed try throws, for which Swift Testing captures a backtrace under a lock. The
/// 100,000 events of one test kept both threads of the test process's cooperative pool busy
/// with that for seconds, and every other test's task waited behind them.
enum ForeignJSON {
    /// `text` as JSON, or `nil` if Foundation cannot read it.
    static func parse(_ text: some Sequence<UInt8>) -> JSONValue? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text), options: .fragmentsAllowed) else { return nil }
        return self.value(of: object)
    }

    /// The value of what `JSONSerialization` made; integers that fit an `Int` become `.integer`.
    private static func value(of object: Any) -> JSONValue? {
        switch object {
        case is NSNull:
            return .null
        case let number as NSNumber:
            // It makes `true` and `false` NSNumbers of the Objective-C type `char`, and
            // fractions or exponents ones of `double`.
            // An integer past `Int.max` comes as `unsigned long long` and stays a number.
            switch String(cString: number.objCType) {
            case "c": return .bool(number.boolValue)
            case "d", "f": return .number(number.doubleValue)
            case "Q" where number.uint64Value > UInt64(Int.max): return .number(number.doubleValue)
            default: return .integer(number.intValue)
            }
        case let string as String:
            return .string(string)
        case let array as [Any]:
            let values = array.compactMap(self.value(of:))
            return values.count == array.count ? .array(values) : nil
        case let object as [String: Any]:
            let members = object.compactMapValues(self.value(of:))
            return members.count == object.count ? .object(members) : nil
        default:
            return nil
        }
    }
}
