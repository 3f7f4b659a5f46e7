import Foundation

/// A certificate authority made for one test by the `openssl` command: it signs server and client
/// certificates that no trust store knows.
public struct TestCertificateAuthority: Sendable {
    /// A certificate and its key, PEM-encoded.
    public struct Identity: Sendable {
        /// The certificate, PEM-encoded.
        public var certificatePEM: String
        /// Its private key, PEM-encoded.
        public var privateKeyPEM: String
    }

    /// The CA's own certificate, to trust.
    public let certificatePEM: String
    private let directory: URL

    /// A new CA named `name`, in a temporary directory of its own.
    public init(name: String = "wsgate test CA") async throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        try await Self.openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "2", "-subj", "/CN=\(name)"],
            in: self.directory
        )
        self.certificatePEM = try String(contentsOf: self.directory.appendingPathComponent("ca.pem"), encoding: .utf8)
    }

    /// The path of the CA certificate's file.
    public var certificateFile: String { self.directory.appendingPathComponent("ca.pem").path }

    /// A certificate signed by this CA for `names` (DNS names and IP addresses), valid from
    /// `notBefore` to `notAfter` (`YYYYMMDDHHMMSSZ`), by default from yesterday for a day and more.
    public func issue(
        for names: [String] = ["localhost", "127.0.0.1"], clientAuth: Bool = false, notBefore: String? = nil, notAfter: String? = nil
    ) async throws -> Identity {
        let base = UUID().uuidString
        let alternativeNames = names.map { $0.first?.isNumber == true ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        let extensions = """
            subjectAltName=\(alternativeNames)
            extendedKeyUsage=\(clientAuth ? "clientAuth" : "serverAuth")
            """
        try extensions.write(to: self.directory.appendingPathComponent("\(base).ext"), atomically: true, encoding: .utf8)
        try await Self.openssl(
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "\(base).key",
             "-out", "\(base).csr", "-subj", "/CN=\(names.first ?? "wsgate test")"],
            in: self.directory
        )
        // `openssl ca` sets exact dates; `x509 -req` only a number of days from now.
        let configuration = """
            [ca]
            default_ca = test
            [test]
            database = \(base).index
            new_certs_dir = .
            serial = \(base).serial
            default_md = sha256
            policy = any
            copy_extensions = none
            [any]
            commonName = supplied
            """
        try configuration.write(to: self.directory.appendingPathComponent("\(base).cnf"), atomically: true, encoding: .utf8)
        try "".write(to: self.directory.appendingPathComponent("\(base).index"), atomically: true, encoding: .utf8)
        try "01\n".write(to: self.directory.appendingPathComponent("\(base).serial"), atomically: true, encoding: .utf8)
        let day: TimeInterval = 86_400
        try await Self.openssl(
            ["ca", "-batch", "-config", "\(base).cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "\(base).csr",
             "-out", "\(base).pem", "-notext", "-extfile", "\(base).ext",
             "-startdate", notBefore ?? Self.timestamp(Date() - day), "-enddate", notAfter ?? Self.timestamp(Date() + day)],
            in: self.directory
        )
        return Identity(
            certificatePEM: try String(contentsOf: self.directory.appendingPathComponent("\(base).pem"), encoding: .utf8),
            privateKeyPEM: try String(contentsOf: self.directory.appendingPathComponent("\(base).key"), encoding: .utf8)
        )
    }

    /// `date` as `openssl ca` takes it.
    private static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    /// Runs openssl and awaits its exit without blocking a thread of the concurrency pool,
    /// which other tests' tasks need meanwhile.
    private static func openssl(_ arguments: [String], in directory: URL) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let (exited, exit) = AsyncStream.makeStream(of: Never.self)
        process.terminationHandler = { _ in exit.finish() }
        try process.run()
        for await _ in exited {}
        // Its few lines of errors fit the pipe's buffer, so they are there once it has exited.
        let message = try errors.fileHandleForReading.readToEnd() ?? Data()
        guard process.terminationStatus == 0 else {
            throw TestFailure("openssl \(arguments.first ?? "") failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}
