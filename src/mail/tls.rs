//! TLS to the city's mail servers: the machine's trusted roots, and a bureau's own certificate
//! authority when `--ca-file` names one. Never plain text: an `imap://` or `smtp://` server must
//! offer STARTTLS.

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// The certificates of a PEM file (a bureau's root, or a server's own self-signed one).
pub fn pem_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|_| anyhow::anyhow!("无法读取证书文件 {}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow::anyhow!("证书文件 {} 不是有效的 PEM 证书", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "证书文件 {} 中没有证书（应为 PEM 格式的 CERTIFICATE）", path.display());
    Ok(certs)
}

/// A client configuration trusting the system's roots and those of `ca_file`.
pub fn client_config(ca_file: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        for cert in pem_certificates(path)? {
            roots.add(cert).map_err(|_| anyhow::anyhow!("证书文件 {} 中的证书无法使用", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| anyhow::anyhow!("TLS 设置失败"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// What went wrong on a connection, in Chinese: a refused or unreachable server, a certificate
/// the machine does not trust, or a broken connection.
pub fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return tls_words(tls);
    }
    match e.kind() {
        K::ConnectionRefused => "连接被拒绝（服务器未运行或端口不对）".into(),
        K::TimedOut | K::WouldBlock => "连接超时".into(),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => "连接被服务器中断".into(),
        K::NotFound => "找不到该主机".into(),
        _ => format!(
            "网络错误（{}）",
            e.raw_os_error().map_or_else(|| "无错误码".to_string(), |c| format!("系统错误码 {c}"))
        ),
    }
}

pub fn tls_words(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(_) => "服务器证书不受信任或与主机名不符（单位自建的证书请用 --ca-file 指定其根证书）".into(),
        _ => "TLS 握手失败".into(),
    }
}
