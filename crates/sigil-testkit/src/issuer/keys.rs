//! The fake issuer's signing keys: a fresh P-256 key for ES256, or one of two fixed RSA keys
//! for RS256 (RSA key generation is slow and `ring` does not do it), each with its JWK and its
//! public key as PEM.

use super::{Key, KeyAlg};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::EncodingKey;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

fn new_kid(alg: KeyAlg) -> String {
    format!(
        "{}-{:016x}",
        alg.name().to_lowercase(),
        rand::random::<u64>()
    )
}

/// A new key: a fresh P-256 key for ES256, the next of [`RSA_TEST_KEYS`] for RS256.
pub(super) fn new_key(alg: KeyAlg, rsa_used: &mut usize) -> Key {
    let kid = new_kid(alg);
    match alg {
        KeyAlg::Es256 => {
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .expect("generate P-256 key");
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .expect("parse P-256 key");
            // 0x04 || x || y
            let point = pair.public_key().as_ref().to_vec();
            let jwk = json!({
                "kty": "EC",
                "kid": kid,
                "use": "sig",
                "alg": "ES256",
                "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            });
            // SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } followed by the point.
            let mut spki = hex_bytes("3059301306072a8648ce3d020106082a8648ce3d030107034200");
            spki.extend_from_slice(&point);
            Key {
                kid,
                alg,
                encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
                jwk,
                public_pem: pem("PUBLIC KEY", &spki),
            }
        }
        KeyAlg::Rs256 => {
            let test_key = &RSA_TEST_KEYS[*rsa_used % RSA_TEST_KEYS.len()];
            *rsa_used += 1;
            // SubjectPublicKeyInfo { rsaEncryption, RSAPublicKey { n, e = 65537 } } for a
            // 2048-bit n (its top bit set, hence the leading 0x00 of the INTEGER).
            let mut spki =
                hex_bytes("30820122300d06092a864886f70d01010105000382010f003082010a0282010100");
            spki.extend(URL_SAFE_NO_PAD.decode(test_key.n).unwrap());
            spki.extend(hex_bytes("0203010001"));
            Key {
                kid: kid.clone(),
                alg,
                encoding: EncodingKey::from_rsa_pem(test_key.private_pem.as_bytes())
                    .expect("RSA test key"),
                jwk: json!({
                    "kty": "RSA",
                    "kid": kid,
                    "use": "sig",
                    "alg": "RS256",
                    "n": test_key.n,
                    "e": "AQAB",
                }),
                public_pem: pem("PUBLIC KEY", &spki),
            }
        }
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A fixed RSA key: `openssl genrsa 2048` once at authoring time; `n` (base64url, no padding)
/// from `openssl rsa -modulus`; e = 65537.
struct RsaTestKey {
    private_pem: &'static str,
    n: &'static str,
}

/// TEST-ONLY RSA keys. They are public (committed to this repository) and must never protect
/// anything; the fake issuer's RS256 keys cycle through them.
const RSA_TEST_KEYS: [RsaTestKey; 2] = [
    RsaTestKey {
        private_pem: "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAv1OXy/WRZ/XOr8h3Pwbw1Bo0CtAC6Rb2Wef8Bez9cBunjQ/K
YDH7YhJyN22JA/bEveV9eA3dEuGvfjag6wN/tSuMSF6lpZDvGfaUPT+kW3Xkmy3l
rJmyHvIbeLh9+zEFhzbgZNHQprg5LwUkLCFzYn2JNrNbeEpv1qK1tLkNI4AP5M86
LX/uLaAwSWyu1jbuauzaRCWzoVbAUiJtC7BNz98S/ZCHaH/E2nI/ro83gEG1zSPq
smiMqKC+0N74u/zZjhYn3HUK4wMXu9SknZHyuMhD6GOlEJy+rrbsemsHcTPzgdjF
SeMtyEWvjZNpFH/dsGIMFqxRIKbOg/70gkbkeQIDAQABAoIBAAlO227Va71taqCn
7bA76dXB0BgaElgtcS8Cz6KoqtRMTiCZXPDE4bxd1h9u9WhjViNAcdQYRZH8d5WZ
+gZw+UKyw4yGSUQGqvE+Cyx3Jwt5jvWDPD4jTJR/lhlPjXZ95i1TvMM+52ojAoow
c3fvqS3Imnc2Ltwpb+s254TrL1HTnLlU5TG/I/59jhj3v+x4tlenwLMOCpuWPqD3
I3W0Rp0zxdROftk2h3okH5S/sKt4N8WlaTzLGeAcQ+b3MmhsEXOrXQdL/ElILNzn
/SZPUcwFSClBkTG0+TSrmJSDqolhcsUPfg0JSoMwpOySEDzoT5YRiKt2K/o8zgdE
BGmQd8ECgYEA34b7achnScXgbrSuKJLfVHcR5VtCk08FudYGBb/m7RwaYrFiiBok
6cO5RLUvEQLGjsInSVCRACoWg8CQF/rXY7HHtjrTK1BpyxDPTpUbEsCNhkNJVkb9
ts9RcnlJbA6kTcr7cyJ2+fUORA/5pVajtFfE36KoKnnrxJeLZxUVxMECgYEA2x8P
UXE+XCb9ZzDag8vgmAvVtZCjKS74S7Wg5pxzaPQ2I2Y9BPrhpnlXwmirDxo4Lgyb
qt7MgVOpts4E9aQNdAjxgBnjWDMQme6l/DZ+eVReLMux15za7OISbMHpcuoLZRQs
Kx6xj31U+mcR3cIr+NHLaZ2hS/bPFyA+8nT/9bkCgYEA1gBNQ4FyIdcof9TLyFyV
JDC7GXK90nqdaMXXDjojxG5bdJGPW+5r2MJh5b3xSb/2iUaohjB0IkwpMgpx6gNl
ozTZl0XKVnWuU5PMZderC9D9rcVNuSROU2848vfbq3B5LWFgS2J7teM/vTnuMLU6
FbbR7am0hrYjWxwbgp1VMgECgYEApVrbBGqg1InX0Hddbvf7lMHZlBqCBiIb3YZC
1cRak2k3MZ+FjKyGfEo1n8+8xrjSjG2XS2q2iSHJgNoXhAc438ef9zuSBI0EiiU9
vQaiiozQRJ2ypzMHQpuXq9rpgH59+tkuO5v+AnpiFlSRdveAl1Q6XIlHnzuxK5J5
7h28yoECgYAtESE/g8q8VAZ3rbs0IDfDiKJQNJ+X5DvaCYNzxbxFWVdgYA/CAnYD
ZY+7f7HXMDz10w7yYclpRTyIijwKhwDz/6a0Eyi3+yd+k6tSw4SsankQxdC6Cuao
E1wEaruFm/ZK8+q1hA0JzdANmKhUJVmzis+NaYwkAUiRhEIFtEjSgA==
-----END RSA PRIVATE KEY-----\n",
        n: "v1OXy_WRZ_XOr8h3Pwbw1Bo0CtAC6Rb2Wef8Bez9cBunjQ_KYDH7YhJyN22JA_bEveV9eA3dEuGvfjag6wN_tSuMSF6lpZDvGfaUPT-kW3Xkmy3lrJmyHvIbeLh9-zEFhzbgZNHQprg5LwUkLCFzYn2JNrNbeEpv1qK1tLkNI4AP5M86LX_uLaAwSWyu1jbuauzaRCWzoVbAUiJtC7BNz98S_ZCHaH_E2nI_ro83gEG1zSPqsmiMqKC-0N74u_zZjhYn3HUK4wMXu9SknZHyuMhD6GOlEJy-rrbsemsHcTPzgdjFSeMtyEWvjZNpFH_dsGIMFqxRIKbOg_70gkbkeQ",
    },
    RsaTestKey {
        private_pem: "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAzRudXm6X3TdJYIrpiQwKKomtTyI3OBBUYYBaNQkpS5+ZILTm
q+FqCiqL/FRBAOP53YRqM9l36ILrT2eWCNAGQbjuZ8GPBIJTcf5Gwlr/cj1qVKex
54GPhifjNcJKUK83PjkV3yoCem/8R0NKnztb1uVGfzYBHAUUr6kXVV4XelW1FwKL
s1ynsj1TrtQLG5YjkaGx03LQDPDkt3P05aKpnXedDFjpuuQZuS37TkinTYCIVIjQ
PzYWJfdt0VpgQs0QixLAj6PnE199NJqkafrhQsbdxlzv/DHOASwk5kNHMx04OAVF
zXQwB9AaPZprK70l36haJWddXD4yOdPLSUfAkQIDAQABAoIBAASxldWYIs4Lapi0
vRjnh2EHUwm9TvWvu/qaORY/HiyOm665rRCwYSCX7impVO58CRcGZXbHynxt6Iwh
4vdTKV1+KaiCr67q+5VffAeNFQzsdl83EjVpy9rGVWcAyfoUNGeuXz+C4tkh8GxC
EDZaIaUmjIkzN23IePt3G2NW+qMQQg6JsawTey0y8eXOWP2tNgW9ObReGqgOzhYy
0CtmD3rsuklDUszrxF6oJySJ0m0UPj0Cn61UdLx1D+x5gyhS1JLoolvAL+cN8gEE
OJ2rRHV+OvNgwnx1qIm+6ODeMowSlHrxNKnt85JAkpb/f164mIQbdZ/0e+7t84gq
H+HnAbECgYEA5U6X3Ee7J+99ndyZstGwocduLZYoM0OZSFUJINIAQzH+WW/8x51x
oLmYnRnH/VO/lxb4rTfhD7rsypl6PWbl4gHkMNX70DbJGNG72PgZPyyKlPqEvShc
rQZIFCOEAPt8IuaFoCIBPW8vkcdpGht5pUP3WjvmJYPjw1TwnfmlHPkCgYEA5Pvh
lMne/dS8iS8sFXUXMB7ouBJ6yXsgtS1kENnFq1crDLvgigbRivoeCywEO7kzuSqj
sS7TSRbhb10DO++/mRgagHe3xF/rr+H1AVFiRdMI3z7bbBnV5bj4A/8eHCM1nyaf
Ve6ZDiDx+0jmng1pDrhJeeNtLjcxr7IfICm3nlkCgYAloInmyZZ6bSANwV8vKp1z
TohTzqn2D4ediOagjhUg8ZktD+VI1BsLJqlWTh61AQMVRd20ftDdhezJKfoXDUV3
mpvZL6PMfNDu06uhZMSvyx1KaPlTGMZsVfWJ6HIGvz2VdIJEzo+phw8lOrWSZSPG
7KowElgnm8bKDKwXIBnp8QKBgQC6Lep+dZyvudcJm6c2Uxvlblw9vhjD1S8E4MEp
ykckRx2jnua0k1KwsyjWYJWYkb7yYS7zE2WLWeU2DORiSU75hVWW+sAaFPum6Auz
ZJ6Is0vVaGA0BtWZkMlnRnkO27nvixGmZvdfO35EmEOaYsD2zPRA/J97Ijlt51/T
YNgBEQKBgD1JWUlC4yPDMmdFuyWQTS1jWC1EogSDr30RQfL288t3qm5d7lI4ztN2
JHWpxwcQb1tKhy3xCbO+xdTM1//pE/cvlpPkOZGWhp+cEqxLf1QZO7NtfHSKJdmY
RqI9XTxUEf+X1ibkUSiepSdyxrhKy8dneipiOEsmHo89FPsJggt2
-----END RSA PRIVATE KEY-----\n",
        n: "zRudXm6X3TdJYIrpiQwKKomtTyI3OBBUYYBaNQkpS5-ZILTmq-FqCiqL_FRBAOP53YRqM9l36ILrT2eWCNAGQbjuZ8GPBIJTcf5Gwlr_cj1qVKex54GPhifjNcJKUK83PjkV3yoCem_8R0NKnztb1uVGfzYBHAUUr6kXVV4XelW1FwKLs1ynsj1TrtQLG5YjkaGx03LQDPDkt3P05aKpnXedDFjpuuQZuS37TkinTYCIVIjQPzYWJfdt0VpgQs0QixLAj6PnE199NJqkafrhQsbdxlzv_DHOASwk5kNHMx04OAVFzXQwB9AaPZprK70l36haJWddXD4yOdPLSUfAkQ",
    },
];
