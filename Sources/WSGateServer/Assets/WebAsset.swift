import NIOCore
import NIOHTTP1

/// A file the gateway serves to browsers from its own binary: `client.js`, its types, the console.
struct WebAsset: Sendable {
    /// The `Content-Type`.
    let contentType: String
    /// The content.
    let body: ByteBuffer
    /// A strong validator of the content: browsers revalidate with it and get 304 while it holds.
    let entityTag: String

    init(contentType: String, text: String) {
        self.contentType = contentType
        self.body = ByteBuffer(string: text)
        // FNV-1a (64 bits) of the content: a fingerprint, not a defence against anyone.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        self.entityTag = "\"\(String(hash, radix: 16))\""
    }

    /// The answer to a `GET` with `requestHeaders`: the content, or 304 when the browser's copy
    /// is current. `no-cache` makes browsers revalidate each time, so an upgraded gateway's
    /// files are used at once.
    func response(to requestHeaders: HTTPHeaders) -> APIResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "ETag", value: self.entityTag)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        let cached = requestHeaders[canonicalForm: "If-None-Match"]
        if cached.contains(where: { $0 == self.entityTag || $0 == "*" }) {
            return APIResponse(status: .notModified, headers: headers)
        }
        headers.add(name: "Content-Type", value: self.contentType)
        return APIResponse(status: .ok, headers: headers, body: self.body)
    }
}
