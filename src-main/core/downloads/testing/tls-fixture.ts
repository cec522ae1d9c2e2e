/**
 * A self-signed certificate for localhost and 127.0.0.1 (valid 2020-01-01 to
 * 2125-12-31, so a machine whose clock is off still accepts its dates) and its
 * key: for tests of the https path only. Nothing trusts it unless a test
 * passes it as `ca`.
 */
export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBYjCCAQegAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv
c3QwIBcNMjAwMTAxMDAwMDAwWhgPMjEyNTEyMzEwMDAwMDBaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKivZz2ngr2HzizY
RQ1ifAvv/gS/qHa0gYssrBFCxUh8dau+FHmsShF/oP8vHDjVeyPhYxCZ94bqhLAn
DOCqvlmjSDBGMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAJBgNVHRMEAjAA
MB0GA1UdDgQWBBT42M2+Jp62wz0iXC0EtjpRiI41ejAKBggqhkjOPQQDAgNJADBG
AiEAqy7Gr4gE2tG5gaIJz7OFu7eV43TdLmIqkvs0vQMxyi4CIQC7GtanowbOj5Qv
EvZeC8MzUd+Bd30xY3YUXY56ep9sJA==
-----END CERTIFICATE-----
`;

export const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglOSOMaBj/9xpuf/s
o61B6XKfTxlgRq2cOYsxqDJP7vahRANCAASor2c9p4K9h84s2EUNYnwL7/4Ev6h2
tIGLLKwRQsVIfHWrvhR5rEoRf6D/Lxw41Xsj4WMQmfeG6oSwJwzgqr5Z
-----END PRIVATE KEY-----
`;
