import ArgumentParser
import WSGateCore

/// `wsgate token`: prints a fresh random bearer token for `security.token` or a token file.
struct PrintToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a fresh random bearer token (256 bits, URL-safe base64).",
        discussion: "For example: (umask 077; wsgate token > /etc/wsgate/token), then security.tokenFile: /etc/wsgate/token."
    )

    func run() {
        // The system generator reads the kernel's CSPRNG (getrandom).
        var generator = SystemRandomNumberGenerator()
        print(Base64.encodeURLSafe((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }
}
