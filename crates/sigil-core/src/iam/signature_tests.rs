//! Vectors computed by the official SDK's signer (huaweicloudsdkcore 3.1.219,
//! `huaweicloudsdkcore.signer.signer.Signer`) for the key below, host `127.0.0.1:8420` and
//! `X-Sdk-Date: 20261126T050000Z`: each request as it arrives on the wire, and the signature the
//! SDK put in its `Authorization` header.

use super::*;

const SECRET: &str = "SGSKexampleexampleexampleexampleexample0";
const DATE: &str = "20261126T050000Z";

fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = vec![
        ("host".to_owned(), "127.0.0.1:8420".to_owned()),
        ("x-sdk-date".to_owned(), DATE.to_owned()),
    ];
    all.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    all
}

fn signed(list: &str) -> Vec<String> {
    list.split(';').map(str::to_owned).collect()
}

fn signature_of(request: &ReceivedRequest<'_>, list: &str) -> String {
    let canonical = canonical_request(request, &signed(list)).unwrap_or_default();
    sign(SECRET.as_bytes(), &string_to_sign(DATE, &canonical))
}

fn body_hash(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

#[test]
fn a_get_with_a_query_that_needs_encoding() {
    let h = headers(&[("x-domain-id", "0123456789abcdef0123abcd")]);
    let request = ReceivedRequest {
        method: "GET",
        path: "/v3.0/OS-CREDENTIAL/credentials",
        query: Some("a%20b=x%2Fy&user_id=0123456789abcdef01234567"),
        headers: &h,
        body_sha256: EMPTY_SHA256,
        body_is_empty: true,
    };
    assert_eq!(
        canonical_request(&request, &signed("host;x-domain-id;x-sdk-date")).as_deref(),
        Some("GET\n/v3.0/OS-CREDENTIAL/credentials/\na%20b=x%2Fy&user_id=0123456789abcdef01234567\nhost:127.0.0.1:8420\nx-domain-id:0123456789abcdef0123abcd\nx-sdk-date:20261126T050000Z\n\nhost;x-domain-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(
        signature_of(&request, "host;x-domain-id;x-sdk-date"),
        "6a40c439e3ea74183b1b28aca6e8ee7d537399ea4353cd54e4e932f4d257121d"
    );
}

#[test]
fn a_put_with_a_json_body() {
    let body = r#"{"openid_connect_config": {"client_id": "client_id_example"}}"#;
    let hash = body_hash(body);
    let h = headers(&[("content-type", "application/json;charset=UTF-8")]);
    let request = ReceivedRequest {
        method: "PUT",
        path: "/v3.0/OS-FEDERATION/identity-providers/corp-idp/openid-connect-config",
        query: None,
        headers: &h,
        body_sha256: &hash,
        body_is_empty: false,
    };
    assert_eq!(
        signature_of(&request, "content-type;host;x-sdk-date"),
        "38908cc7a42382177e72259b06e25099c8bebf3cc4d781880d94fe9496c764ed"
    );
    // A changed body, or a changed signed header, is another signature.
    let other = body_hash(&body.replace("example", "exampl3"));
    let changed = ReceivedRequest {
        body_sha256: &other,
        ..request
    };
    assert_ne!(
        signature_of(&changed, "content-type;host;x-sdk-date"),
        "38908cc7a42382177e72259b06e25099c8bebf3cc4d781880d94fe9496c764ed"
    );
}

#[test]
fn a_path_with_characters_that_need_encoding() {
    let h = headers(&[]);
    let request = ReceivedRequest {
        method: "GET",
        path: "/v3/OS-FEDERATION/identity_providers/a%20b%2Fc",
        query: None,
        headers: &h,
        body_sha256: EMPTY_SHA256,
        body_is_empty: true,
    };
    // The SDK decodes the whole path before splitting it: `%2F` becomes a separator.
    assert!(canonical_request(&request, &signed("host;x-sdk-date"))
        .is_some_and(|c| c.starts_with("GET\n/v3/OS-FEDERATION/identity_providers/a%20b/c/\n")));
    assert_eq!(
        signature_of(&request, "host;x-sdk-date"),
        "29e876c84cea1a38e865153da6aec5076f731ee6c0a8358a210c50f7e712cc6d"
    );
}

#[test]
fn an_unsigned_payload_and_a_false_payload_claim() {
    let h = headers(&[
        ("content-type", "application/octet-stream"),
        ("x-sdk-content-sha256", "UNSIGNED-PAYLOAD"),
    ]);
    let hash = body_hash("raw");
    let request = ReceivedRequest {
        method: "POST",
        path: "/v3.0/OS-AUTH/id-token/tokens",
        query: None,
        headers: &h,
        body_sha256: &hash,
        body_is_empty: false,
    };
    assert_eq!(
        signature_of(
            &request,
            "content-type;host;x-sdk-content-sha256;x-sdk-date"
        ),
        "12e177964da0f26edcc7da4240a0331fd97ead5e2cd76a726a91f1aac548eb14"
    );
    let lying = headers(&[("x-sdk-content-sha256", EMPTY_SHA256)]);
    let request = ReceivedRequest {
        headers: &lying,
        ..request
    };
    assert_eq!(
        canonical_request(&request, &signed("host;x-sdk-date")),
        None
    );
}

#[test]
fn a_missing_signed_header_is_no_canonical_request() {
    let h = headers(&[]);
    let request = ReceivedRequest {
        method: "GET",
        path: "/",
        query: None,
        headers: &h,
        body_sha256: EMPTY_SHA256,
        body_is_empty: true,
    };
    assert_eq!(
        canonical_request(&request, &signed("host;x-domain-id;x-sdk-date")),
        None
    );
}

#[test]
fn authorization_values_are_parsed_strictly() {
    let ok = "Access=SGAKEXAMPLE000000001, SignedHeaders=host;x-sdk-date, Signature=29e876c84cea1a38e865153da6aec5076f731ee6c0a8358a210c50f7e712cc6d";
    let parsed = SdkAuthorization::parse(ok).unwrap_or_else(|| panic!("parses"));
    assert_eq!(parsed.access, "SGAKEXAMPLE000000001");
    assert_eq!(parsed.signed_headers, ["host", "x-sdk-date"]);
    assert!(parsed.signs_the_date());
    for bad in [
        "",
        "Access=a, SignedHeaders=host;x-sdk-date",
        "Access=a, SignedHeaders=host;x-sdk-date, Signature=zz",
        "Access=a, Access=b, SignedHeaders=host, Signature=29e876c84cea1a38e865153da6aec5076f731ee6c0a8358a210c50f7e712cc6d",
        "Access=a, SignedHeaders=Host, Signature=29e876c84cea1a38e865153da6aec5076f731ee6c0a8358a210c50f7e712cc6d",
        "Access=a, SignedHeaders=host;;x, Signature=29e876c84cea1a38e865153da6aec5076f731ee6c0a8358a210c50f7e712cc6d",
        "Access=a, Other=1, SignedHeaders=host, Signature=29e876c84cea1a38e865153da6aec5076f731ee6c0a8358a210c50f7e712cc6d",
    ] {
        assert_eq!(SdkAuthorization::parse(bad), None, "{bad}");
    }
    let unsigned_date = SdkAuthorization::parse(&ok.replace("host;x-sdk-date", "host"));
    assert!(unsigned_date.is_some_and(|a| !a.signs_the_date()));
    // As the Go SDK signs: no host.
    let go_sdk = SdkAuthorization::parse(
        &ok.replace("host;x-sdk-date", "user-agent;x-domain-id;x-sdk-date"),
    );
    assert!(go_sdk.is_some_and(|a| a.signs_the_date()));
}

/// Found by fuzzing (sdk_canonical_request): a header signed twice repeated its value in the
/// canonical request, so a 4 KiB Authorization header could make every request build and hash
/// 16 MiB before its signature was compared.
#[test]
fn a_header_signed_twice_is_refused() {
    let twice = "Access=a, SignedHeaders=host;x-sdk-date;host, Signature=29e876c84cea1a38e865153da6aec5076f731ee6c0a8358a210c50f7e712cc6d";
    assert_eq!(SdkAuthorization::parse(twice), None);
    let many = format!(
        "Access=a, SignedHeaders=x-sdk-date;host{}, Signature={}",
        ";a".repeat(1900),
        "0".repeat(64)
    );
    assert!(many.len() <= 4096);
    assert_eq!(SdkAuthorization::parse(&many), None);
}

/// `X-Sdk-Date` is refused outside 15 minutes either way of the clock, and whatever its form
/// when it is not the SDK's; no date, however far, overflows the comparison.
#[test]
fn the_replay_window_is_fifteen_minutes_either_way() {
    let now = 1_795_669_200; // 2026-11-26T05:00:00Z
    assert!(within_replay_window("20261126T050000Z", now));
    assert!(within_replay_window("20261126T051500Z", now));
    assert!(within_replay_window("20261126T044500Z", now));
    assert!(!within_replay_window("20261126T051501Z", now));
    assert!(!within_replay_window("20261126T044459Z", now));
    for bad in [
        "",
        "2026-11-26T05:00:00Z",
        "20261126T050000",
        "+2621431231T235959Z",
    ] {
        assert!(!within_replay_window(bad, now), "{bad}");
    }
    assert!(!within_replay_window("20261126T050000Z", i64::MIN));
    assert!(!within_replay_window("20261126T050000Z", i64::MAX));
}

/// Vectors the Huawei Cloud Go SDK's signer computed (huaweicloud-sdk-go-v3 v0.1.207,
/// `core/auth/signer.Sign`) for the key above: it signs every header it set itself and never
/// `host` or `content-type` — with a temporary access key, `x-security-token` too.
#[test]
fn the_go_sdks_header_sets() {
    let path = "/v3.0/OS-FEDERATION/identity-providers/corp-idp/openid-connect-config";
    for (token, list, expected) in [
        (
            None,
            "user-agent;x-domain-id;x-sdk-date",
            "ab0e5e427827da493ba3badeaa5b8b8411d6043f83d1fa1e80567d21fc7c4d64",
        ),
        (
            Some("SGSTexample-security-token"),
            "user-agent;x-domain-id;x-sdk-date;x-security-token",
            "bc44380921bdd2d61df3e3db8e7334a195401c4d83f3a635a63e908a278cf7fa",
        ),
    ] {
        let mut h = vec![
            (
                "user-agent".to_owned(),
                "huaweicloud-usdk-go/3.0".to_owned(),
            ),
            (
                "x-domain-id".to_owned(),
                "0123456789abcdef0123abcd".to_owned(),
            ),
            ("x-sdk-date".to_owned(), DATE.to_owned()),
            // Received, not signed: the Go SDK leaves it out.
            ("host".to_owned(), "127.0.0.1:8420".to_owned()),
        ];
        if let Some(t) = token {
            h.push(("x-security-token".to_owned(), t.to_owned()));
        }
        let request = ReceivedRequest {
            method: "GET",
            path,
            query: None,
            headers: &h,
            body_sha256: EMPTY_SHA256,
            body_is_empty: true,
        };
        let parsed = SdkAuthorization::parse(&format!(
            "Access=SGTAEXAMPLE000000001, SignedHeaders={list}, Signature={expected}"
        ))
        .unwrap_or_else(|| panic!("parses"));
        assert!(parsed.signs_the_date());
        assert_eq!(signature_of(&request, list), expected, "{list}");
        // Signing `host` too would be another signature: exactly the declared set counts.
        assert_ne!(signature_of(&request, &format!("host;{list}")), expected);
    }
}
