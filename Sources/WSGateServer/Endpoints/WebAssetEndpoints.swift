/// `GET /`, `GET /client.js`, `GET /client.d.ts`, `GET /openapi.json`: files served from the binary.
extension APIEndpoints {
    func webAsset(_ asset: WebAsset, _ request: APIRequest) -> EndpointResponse {
        .complete(asset.response(to: request.head.headers))
    }
}
