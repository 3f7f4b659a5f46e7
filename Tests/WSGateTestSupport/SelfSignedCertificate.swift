/// A self-signed certificate for `localhost` and 127.0.0.1, valid until 2126, that no trust
/// store knows: a TLS upstream that the gateway must refuse.
public enum SelfSignedCertificate {
    /// The certificate, PEM-encoded.
    public static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBmjCCAUGgAwIBAgIUFTrj6l96lc6Oi7Q72WGQ+i8ujlkwCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTA1MDczNloYDzIxMjYxMTAx
        MDUwNzM2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAAREL1F/yoewVZnrLM/zywXL7+z73S80SGO3raUAVaC1pmCTTF6dbb94
        i13G+ds9S8XHwqjkGd6YZg6fRR2HRDTLo28wbTAdBgNVHQ4EFgQU+VvPNmPJcj80
        /m4DJswZ32FUvuowHwYDVR0jBBgwFoAU+VvPNmPJcj80/m4DJswZ32FUvuowDwYD
        VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
        zj0EAwIDRwAwRAIgItRd6YAWO8rfCNAOW241sfacJOQn3shhFDTm5Zt7ZdQCIHZK
        lNNYcQh1IvcMuzj3oZS5YFicoC+/2hDFW57XLYos
        -----END CERTIFICATE-----
        """

    /// The certificate's private key, PEM-encoded.
    public static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgvw7up5bDTxgAJ08U
        fpQAo8q+3DpI+n9Dz8h3vh+KjtOhRANCAAREL1F/yoewVZnrLM/zywXL7+z73S80
        SGO3raUAVaC1pmCTTF6dbb94i13G+ds9S8XHwqjkGd6YZg6fRR2HRDTL
        -----END PRIVATE KEY-----
        """

    /// The certificate with its key, for ``UpstreamServer``.
    public static let identity = TestCertificateAuthority.Identity(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
}
