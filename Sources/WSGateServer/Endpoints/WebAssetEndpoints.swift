/// `GET /`, `GET /client.js`, `GET /client.d.ts`: the files for web frontends.
extension APIEndpoints {
    func webAsset(_ asset: WebAsset, _ request: APIRequest) -> EndpointResponse {
        .complete(asset.response(to: request.head.headers))
    }
}
