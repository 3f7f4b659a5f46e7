import Testing
import WSGateCore

@Suite struct ConnectionIDTests {
    @Test func urlSafeBase64MatchesTheRFCVectors() {
        // RFC 4648, section 10, unpadded; and the two characters where the alphabets differ.
        let vectors: [(String, String)] = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64.encodeURLSafe(Array(plain.utf8)) == encoded)
        }
        #expect(Base64.encodeURLSafe([0xFB, 0xFF, 0xBF]) == "-_-_")
    }

    @Test func idsAre128RandomBitsInURLSafeCharacters() {
        let ids = (0..<1000).map { _ in ConnectionID.random().description }
        #expect(Set(ids).count == ids.count)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for id in ids {
            #expect(id.count == 22)
            #expect(id.allSatisfy(alphabet.contains))
            #expect(ConnectionID.isWellFormed(id))
        }
        for malformed in ["", "a.b", "a b", "a,b", "é", "a/b"] { #expect(!ConnectionID.isWellFormed(malformed), "\(malformed)") }
    }
}
