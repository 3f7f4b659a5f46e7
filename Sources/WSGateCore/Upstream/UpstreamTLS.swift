import Foundation
import NIOCore
import NIOSSL
import NIOTLS

/// The certificates and key that ``TLSOptions`` name, loaded.
struct TLSMaterial {
    var roots: [NIOSSLCertificate]
    var clientChain: [NIOSSLCertificate]
    var clientKey: NIOSSLPrivateKey?
}

/// Why TLS options cannot be used; it names the key, never a file's content.
struct TLSMaterialError: Error, CustomStringConvertible {
    let description: String
}

extension TLSOptions {
    /// Loads what the options name. A file is read each time, so that a renewed file counts
    /// from the next connection on.
    func material() throws(TLSMaterialError) -> TLSMaterial {
        let roots = try Self.certificates(key: "caFile", file: self.caFile, key: "caPem", pem: self.caPem)
        let chain = try Self.certificates(
            key: "clientCertificateFile", file: self.clientCertificateFile, key: "clientCertificatePem", pem: self.clientCertificatePem
        )
        var key: NIOSSLPrivateKey?
        if let pem = try Self.pem(key: "clientKeyFile", file: self.clientKeyFile, key: "clientKeyPem", pem: self.clientKeyPem) {
            do {
                key = try NIOSSLPrivateKey(bytes: Array(pem.text.utf8), format: .pem)
            } catch {
                throw TLSMaterialError(description: "\"tls.\(pem.key)\" holds no PEM private key.")
            }
        }
        return TLSMaterial(roots: roots, clientChain: chain, clientKey: key)
    }

    /// A client TLS context for these options.
    func makeContext() throws(TLSMaterialError) -> NIOSSLContext {
        let material = try self.material()
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !material.roots.isEmpty {
            if self.systemRoots {
                configuration.additionalTrustRoots = [.certificates(material.roots)]
            } else {
                configuration.trustRoots = .certificates(material.roots)
            }
        }
        configuration.certificateChain = material.clientChain.map { .certificate($0) }
        configuration.privateKey = material.clientKey.map { .privateKey($0) }
        if self.insecureSkipVerify { configuration.certificateVerification = .none }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSMaterialError(description: "The TLS options cannot be used: \(error)")
        }
    }

    private static func certificates(key fileKey: String, file: String?, key pemKey: String, pem: String?) throws(TLSMaterialError) -> [NIOSSLCertificate] {
        guard let pem = try self.pem(key: fileKey, file: file, key: pemKey, pem: pem) else { return [] }
        let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(pem.text.utf8))
        guard let certificates, !certificates.isEmpty else {
            throw TLSMaterialError(description: "\"tls.\(pem.key)\" holds no PEM certificate.")
        }
        return certificates
    }

    /// The largest PEM file read: a CA bundle is a few hundred KiB.
    private static let largestFile = 4 << 20

    /// The PEM text given inline or in a file, with the key it came from. Only a regular file
    /// (after symbolic links) up to ``largestFile`` is read: a client may name any path, and
    /// `/dev/zero` or a FIFO would never end.
    private static func pem(key fileKey: String, file: String?, key pemKey: String, pem: String?) throws(TLSMaterialError) -> (key: String, text: String)? {
        if let pem { return (pemKey, pem) }
        guard let file else { return nil }
        let path = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard attributes?[.type] as? FileAttributeType == .typeRegular, let size = attributes?[.size] as? Int, size <= Self.largestFile,
            let contents = FileManager.default.contents(atPath: path)
        else {
            throw TLSMaterialError(description: "\"tls.\(fileKey)\" (\(file)) cannot be read as a PEM file of at most 4 MiB.")
        }
        return (fileKey, String(decoding: contents, as: UTF8.self))
    }
}

/// Reports a TLS failure during the handshake as ``UpstreamConnectError/tlsFailed(_:)``, saying
/// why verification failed when it can tell: BoringSSL only says that it did.
final class TLSFailureHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let handshake: EventLoopPromise<UpstreamConnector.Established>
    /// The name the certificate must hold.
    private let serverName: String

    init(handshake: EventLoopPromise<UpstreamConnector.Established>, serverName: String) {
        self.handshake = handshake
        self.serverName = serverName
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
        self.handshake.fail(UpstreamConnectError.tlsFailed(Self.explain(error, certificate: certificate, serverName: self.serverName)))
        context.fireErrorCaught(error)
    }

    /// The reason for `error`, in words, with NIOSSL's own at the end.
    static func explain(_ error: Error, certificate: NIOSSLCertificate?, serverName: String, now: Date = Date()) -> String {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "name mismatch: the certificate is not for \(serverName) (set tls.serverName to verify another name)"
        }
        guard "\(error)".contains("CERTIFICATE_VERIFY_FAILED") else { return "\(error)" }
        let reason: String
        if let certificate, now.timeIntervalSince1970 > TimeInterval(certificate.notValidAfter) {
            reason = "the certificate expired on \(Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter)))"
        } else if let certificate, now.timeIntervalSince1970 < TimeInterval(certificate.notValidBefore) {
            reason = "the certificate is not valid before \(Date(timeIntervalSince1970: TimeInterval(certificate.notValidBefore)))"
        } else {
            reason = "unknown issuer: no trusted CA signed the certificate (trust its CA with tls.caFile or tls.caPem)"
        }
        return "certificate verification failed: \(reason); \(error)"
    }
}
