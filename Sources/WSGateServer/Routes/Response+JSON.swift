import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

extension Response {
    /// A response whose body is `value` as JSON.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var body = ByteBuffer()
        body.writeJSON(value)
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
