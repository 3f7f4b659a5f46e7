import Foundation

/// A certificate authority made for one test by the `openssl` command: it signs server and client
/// certificates that no trust store knows. It keeps its key in memory; each `openssl` run works
/// in a scratch directory that is removed when it is done, so tests leave no files behind.
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
    private let privateKeyPEM: String

    /// A new CA named `name`.
    public init(name: String = "wsgate test CA") async throws {
        let identity = try await Self.inScratchDirectory { directory in
            try await Self.openssl(
                ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
                 "-out", "ca.pem", "-days", "2", "-subj", "/CN=\(name)"],
                in: directory
            )
            return try Identity(reading: "ca", in: directory)
        }
        self.certificatePEM = identity.certificatePEM
        self.privateKeyPEM = identity.privateKeyPEM
    }

    /// A certificate signed by this CA for `names` (DNS names and IP addresses), valid from
    /// `notBefore` to `notAfter` (`YYYYMMDDHHMMSSZ`), by default from yesterday for a day and more.
    public func issue(
        for names: [String] = ["localhost", "127.0.0.1"], clientAuth: Bool = false, notBefore: String? = nil, notAfter: String? = nil
    ) async throws -> Identity {
        let alternativeNames = names.map { $0.first?.isNumber == true ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        let files = [
            "ca.pem": self.certificatePEM,
            "ca.key": self.privateKeyPEM,
            "leaf.ext": """
                subjectAltName=\(alternativeNames)
                extendedKeyUsage=\(clientAuth ? "clientAuth" : "serverAuth")
                """,
            "ca.cnf": """
                [ca]
                default_ca = test
                [test]
                database = index
                new_certs_dir = .
                serial = serial
                default_md = sha256
                policy = any
                copy_extensions = none
                [any]
                commonName = supplied
                """,
            "index": "",
            "serial": "01\n",
        ]
        let day: TimeInterval = 86_400
        return try await Self.inScratchDirectory { directory in
            for (name, contents) in files {
                try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try await Self.openssl(
                ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "leaf.key",
                 "-out", "leaf.csr", "-subj", "/CN=\(names.first ?? "wsgate test")"],
                in: directory
            )
            // `openssl ca` sets exact dates; `x509 -req` only a number of days from now.
            try await Self.openssl(
                ["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "leaf.csr",
                 "-out", "leaf.pem", "-notext", "-extfile", "leaf.ext",
                 "-startdate", notBefore ?? Self.timestamp(Date() - day), "-enddate", notAfter ?? Self.timestamp(Date() + day)],
                in: directory
            )
            return try Identity(reading: "leaf", in: directory)
        }
    }

    /// Runs `body` in a new temporary directory, and removes the directory when it is done.
    private static func inScratchDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wsgate-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
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

extension TestCertificateAuthority.Identity {
    /// The certificate and key that `openssl` wrote to `<name>.pem` and `<name>.key` in `directory`.
    fileprivate init(reading name: String, in directory: URL) throws {
        self.init(
            certificatePEM: try String(contentsOf: directory.appendingPathComponent("\(name).pem"), encoding: .utf8),
            privateKeyPEM: try String(contentsOf: directory.appendingPathComponent("\(name).key"), encoding: .utf8)
        )
    }
}
