//! SNMPv3 messages under the user-based security model (RFC 3412 and 3414, AES from RFC 3826,
//! HMAC-SHA-2 from RFC 7860), as a notification receiver needs them: reading a message, checking
//! its signature, opening its scoped PDU, and writing the answers an inform asks for (a report
//! during discovery, then the response).
//!
//! Written by hand because `snmp2` reads and writes v3 only inside its own request sessions,
//! and gets both wrong for a receiver: its writer numbers a message by its request id, where an
//! answer must carry the `msgID` of the message it answers (net-snmp matches answers by it), and
//! its reader zeroes the signature in place through a shared slice (undefined behaviour).
//! Varbinds are still decoded by `snmp2`, from the PDU rewrapped as a v2c message
//! ([`as_v2c_message`]).

use aes::{Aes128, Aes256};
use cfb_mode::{Decryptor as CfbDecryptor, Encryptor as CfbEncryptor};
use cipher::{AsyncStreamCipher, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use des::Des;
use hmac::{Hmac, Mac};
use snmp2::AsnReader;

/// `msgFlags`: the message is signed.
pub const FLAG_AUTH: u8 = 0x01;
/// `msgFlags`: its scoped PDU is encrypted.
pub const FLAG_PRIV: u8 = 0x02;
/// `msgFlags`: the sender wants a report if it cannot be processed.
pub const FLAG_REPORTABLE: u8 = 0x04;

/// The PDU tags a receiver meets.
pub const TAG_GET: u8 = 0xa0;
pub const TAG_RESPONSE: u8 = 0xa2;
pub const TAG_INFORM: u8 = 0xa6;
pub const TAG_TRAP: u8 = 0xa7;
pub const TAG_REPORT: u8 = 0xa8;

/// How far apart two engines' clocks may be, in seconds (RFC 3414 3.2.7).
pub const TIME_WINDOW_SECS: i64 = 150;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl AuthProtocol {
    /// The bytes of the signature a message carries.
    fn signature_len(self) -> usize {
        match self {
            AuthProtocol::Md5 | AuthProtocol::Sha1 => 12,
            AuthProtocol::Sha256 => 24,
            AuthProtocol::Sha512 => 48,
        }
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: digest::Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            AuthProtocol::Md5 => run::<md5::Md5>(parts),
            AuthProtocol::Sha1 => run::<sha1::Sha1>(parts),
            AuthProtocol::Sha256 => run::<sha2::Sha256>(parts),
            AuthProtocol::Sha512 => run::<sha2::Sha512>(parts),
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            // HMAC takes a key of any length.
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .expect("HMAC accepts any key length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            AuthProtocol::Md5 => run::<Hmac<md5::Md5>>(key, data),
            AuthProtocol::Sha1 => run::<Hmac<sha1::Sha1>>(key, data),
            AuthProtocol::Sha256 => run::<Hmac<sha2::Sha256>>(key, data),
            AuthProtocol::Sha512 => run::<Hmac<sha2::Sha512>>(key, data),
        }
    }

    /// The signature of `message` (whose signature field holds zeros).
    fn sign(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut signature = self.hmac(key, message);
        signature.truncate(self.signature_len());
        signature
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivProtocol {
    Des,
    Aes128,
    Aes256,
}

impl PrivProtocol {
    /// Key bytes the cipher uses: DES's key and pre-IV, AES's key.
    fn key_len(self) -> usize {
        match self {
            PrivProtocol::Des | PrivProtocol::Aes128 => 16,
            PrivProtocol::Aes256 => 32,
        }
    }
}

/// Why a v3 message could not be read, or was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsmError {
    /// Not a well-formed v3 message under the user-based security model.
    Malformed,
    /// The signature does not match the user's key.
    WrongDigest,
    /// The encrypted PDU does not open with the user's key.
    Undecryptable,
    /// A user whose privacy key is shorter than its cipher needs (AES-256 with an MD5 or
    /// SHA-1 user, which needs one of two rival key extensions): not supported.
    UnsupportedKey,
}

impl std::fmt::Display for UsmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UsmError::Malformed => "not a well-formed SNMPv3 USM message",
            UsmError::WrongDigest => "the signature does not match the user's key",
            UsmError::Undecryptable => "the PDU does not decrypt with the user's key",
            UsmError::UnsupportedKey => "AES-256 needs a SHA-256 or SHA-512 user",
        })
    }
}

impl std::error::Error for UsmError {}

/// A password turned into a key, before it is bound to an engine (RFC 3414 A.2.1: the
/// password repeated over a megabyte, hashed). Costly: computed once per password.
pub fn password_key(protocol: AuthProtocol, password: &[u8]) -> Vec<u8> {
    const EXPANDED: usize = 1_048_576;
    if password.is_empty() {
        return protocol.digest(&[]);
    }
    let mut expanded = Vec::with_capacity(EXPANDED);
    while expanded.len() < EXPANDED {
        let take = (EXPANDED - expanded.len()).min(password.len());
        expanded.extend_from_slice(&password[..take]);
    }
    protocol.digest(&[&expanded])
}

/// A password key bound to one engine (RFC 3414 A.2.2).
pub fn localize(protocol: AuthProtocol, password_key: &[u8], engine_id: &[u8]) -> Vec<u8> {
    protocol.digest(&[password_key, engine_id, password_key])
}

/// A user's keys for one engine.
#[derive(Clone, PartialEq, Eq)]
pub struct UserKeys {
    pub auth_protocol: AuthProtocol,
    auth_key: Vec<u8>,
    pub priv_protocol: PrivProtocol,
    priv_key: Vec<u8>,
}

impl std::fmt::Debug for UserKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserKeys")
            .field("auth_protocol", &self.auth_protocol)
            .field("priv_protocol", &self.priv_protocol)
            .finish_non_exhaustive()
    }
}

impl UserKeys {
    /// The keys of a user whose password keys are `auth_password_key` and
    /// `priv_password_key` ([`password_key`], both with `auth_protocol`), for `engine_id`.
    pub fn for_engine(
        auth_protocol: AuthProtocol,
        auth_password_key: &[u8],
        priv_protocol: PrivProtocol,
        priv_password_key: &[u8],
        engine_id: &[u8],
    ) -> Result<UserKeys, UsmError> {
        let mut priv_key = localize(auth_protocol, priv_password_key, engine_id);
        if priv_key.len() < priv_protocol.key_len() {
            return Err(UsmError::UnsupportedKey);
        }
        priv_key.truncate(priv_protocol.key_len());
        Ok(UserKeys {
            auth_protocol,
            auth_key: localize(auth_protocol, auth_password_key, engine_id),
            priv_protocol,
            priv_key,
        })
    }

    fn decrypt(
        &self,
        encrypted: &[u8],
        salt: &[u8],
        boots: i64,
        time: i64,
    ) -> Result<Vec<u8>, UsmError> {
        let salt: [u8; 8] = salt.try_into().map_err(|_| UsmError::Undecryptable)?;
        let mut plain = encrypted.to_vec();
        match self.priv_protocol {
            PrivProtocol::Des => {
                if !plain.len().is_multiple_of(8) {
                    return Err(UsmError::Undecryptable);
                }
                let iv = des_iv(&self.priv_key, &salt);
                let mut decryptor =
                    cbc::Decryptor::<Des>::new_from_slices(&self.priv_key[..8], &iv)
                        .map_err(|_| UsmError::Undecryptable)?;
                for block in plain.chunks_mut(8) {
                    decryptor.decrypt_block_mut(block.into());
                }
            }
            PrivProtocol::Aes128 => {
                CfbDecryptor::<Aes128>::new_from_slices(
                    &self.priv_key,
                    &aes_iv(boots, time, &salt),
                )
                .map_err(|_| UsmError::Undecryptable)?
                .decrypt(&mut plain);
            }
            PrivProtocol::Aes256 => {
                CfbDecryptor::<Aes256>::new_from_slices(
                    &self.priv_key,
                    &aes_iv(boots, time, &salt),
                )
                .map_err(|_| UsmError::Undecryptable)?
                .decrypt(&mut plain);
            }
        }
        Ok(plain)
    }

    /// `plain` encrypted, and the salt that goes with it.
    fn encrypt(&self, plain: &[u8], boots: i64, time: i64, salt: u64) -> (Vec<u8>, [u8; 8]) {
        let mut data = plain.to_vec();
        match self.priv_protocol {
            PrivProtocol::Des => {
                // RFC 3414 8.1.1.2: the salt is the engine's boots and a local counter; the
                // padding's value is irrelevant.
                let mut salt_bytes = [0u8; 8];
                salt_bytes[..4].copy_from_slice(&(boots as u32).to_be_bytes());
                salt_bytes[4..].copy_from_slice(&(salt as u32).to_be_bytes());
                data.resize(data.len().div_ceil(8) * 8, 0);
                let iv = des_iv(&self.priv_key, &salt_bytes);
                let mut encryptor =
                    cbc::Encryptor::<Des>::new_from_slices(&self.priv_key[..8], &iv)
                        .expect("a DES key and IV of 8 bytes");
                for block in data.chunks_mut(8) {
                    encryptor.encrypt_block_mut(block.into());
                }
                (data, salt_bytes)
            }
            PrivProtocol::Aes128 | PrivProtocol::Aes256 => {
                let salt_bytes = salt.to_be_bytes();
                let iv = aes_iv(boots, time, &salt_bytes);
                if self.priv_protocol == PrivProtocol::Aes128 {
                    CfbEncryptor::<Aes128>::new_from_slices(&self.priv_key, &iv)
                        .expect("an AES-128 key")
                        .encrypt(&mut data);
                } else {
                    CfbEncryptor::<Aes256>::new_from_slices(&self.priv_key, &iv)
                        .expect("an AES-256 key")
                        .encrypt(&mut data);
                }
                (data, salt_bytes)
            }
        }
    }
}

fn des_iv(priv_key: &[u8], salt: &[u8; 8]) -> [u8; 8] {
    let mut iv = [0u8; 8];
    for (index, byte) in iv.iter_mut().enumerate() {
        *byte = priv_key[8 + index] ^ salt[index];
    }
    iv
}

fn aes_iv(boots: i64, time: i64, salt: &[u8; 8]) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..4].copy_from_slice(&(boots as u32).to_be_bytes());
    iv[4..8].copy_from_slice(&(time as u32).to_be_bytes());
    iv[8..].copy_from_slice(salt);
    iv
}

/// A v3 message as read, before its signature is checked.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub msg_id: i64,
    pub flags: u8,
    pub engine_id: &'a [u8],
    pub engine_boots: i64,
    pub engine_time: i64,
    pub user_name: &'a [u8],
    signature: &'a [u8],
    /// Where the signature sits in `whole`.
    signature_at: usize,
    salt: &'a [u8],
    data: &'a [u8],
    whole: &'a [u8],
}

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_SEQUENCE: u8 = 0x30;

/// Whether `bytes` is a version-3 message (of any kind); cheap, for dispatching.
pub fn is_v3(bytes: &[u8]) -> bool {
    let Ok(sequence) = AsnReader::from_bytes(bytes).read_raw(TAG_SEQUENCE) else {
        return false;
    };
    AsnReader::from_bytes(sequence).read_asn_integer() == Ok(3)
}

impl<'a> Message<'a> {
    pub fn parse(whole: &'a [u8]) -> Result<Message<'a>, UsmError> {
        let malformed = |_| UsmError::Malformed;
        let sequence = AsnReader::from_bytes(whole)
            .read_raw(TAG_SEQUENCE)
            .map_err(malformed)?;
        let mut reader = AsnReader::from_bytes(sequence);
        if reader.read_asn_integer().map_err(malformed)? != 3 {
            return Err(UsmError::Malformed);
        }
        let mut global = AsnReader::from_bytes(reader.read_raw(TAG_SEQUENCE).map_err(malformed)?);
        let msg_id = global.read_asn_integer().map_err(malformed)?;
        let _max_size = global.read_asn_integer().map_err(malformed)?;
        let flags = *global
            .read_asn_octetstring()
            .map_err(malformed)?
            .first()
            .ok_or(UsmError::Malformed)?;
        if global.read_asn_integer().map_err(malformed)? != 3 {
            return Err(UsmError::Malformed);
        }
        let security = reader.read_asn_octetstring().map_err(malformed)?;
        let mut usm = AsnReader::from_bytes(
            AsnReader::from_bytes(security)
                .read_raw(TAG_SEQUENCE)
                .map_err(malformed)?,
        );
        let engine_id = usm.read_asn_octetstring().map_err(malformed)?;
        let engine_boots = usm.read_asn_integer().map_err(malformed)?;
        let engine_time = usm.read_asn_integer().map_err(malformed)?;
        let user_name = usm.read_asn_octetstring().map_err(malformed)?;
        let signature = usm.read_asn_octetstring().map_err(malformed)?;
        let salt = usm.read_asn_octetstring().map_err(malformed)?;
        let data = reader.read_raw(if flags & FLAG_PRIV != 0 {
            TAG_OCTET_STRING
        } else {
            TAG_SEQUENCE
        });
        let data = data.map_err(malformed)?;
        // Every part read is a sub-slice of `whole`: the signature's place is its offset.
        let signature_at = signature.as_ptr() as usize - whole.as_ptr() as usize;
        Ok(Message {
            msg_id,
            flags,
            engine_id,
            engine_boots,
            engine_time,
            user_name,
            signature,
            signature_at,
            salt,
            data,
            whole,
        })
    }

    /// Whether it is signed with `keys` (false for an unsigned message).
    pub fn signed_by(&self, keys: &UserKeys) -> bool {
        if self.flags & FLAG_AUTH == 0 || self.signature.len() != keys.auth_protocol.signature_len()
        {
            return false;
        }
        let mut zeroed = self.whole.to_vec();
        zeroed[self.signature_at..self.signature_at + self.signature.len()].fill(0);
        let expected = keys.auth_protocol.sign(&keys.auth_key, &zeroed);
        // Constant time: a signature is a secret's proof.
        expected
            .iter()
            .zip(self.signature)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }

    /// The scoped PDU's bytes (a SEQUENCE's contents); `keys` opens an encrypted one.
    pub fn scoped_pdu(&self, keys_opt: Option<&UserKeys>) -> Result<Vec<u8>, UsmError> {
        if self.flags & FLAG_PRIV == 0 {
            return Ok(self.data.to_vec());
        }
        let keys = keys_opt.ok_or(UsmError::Undecryptable)?;
        let plain = keys.decrypt(self.data, self.salt, self.engine_boots, self.engine_time)?;
        // The padding after the SEQUENCE is ignored (RFC 3414 8.1.1.3).
        let contents = AsnReader::from_bytes(&plain)
            .read_raw(TAG_SEQUENCE)
            .map_err(|_| UsmError::Undecryptable)?;
        Ok(contents.to_vec())
    }
}

/// A scoped PDU's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedPdu<'a> {
    pub context_engine_id: &'a [u8],
    pub context_name: &'a [u8],
    /// The PDU's tag ([`TAG_TRAP`], [`TAG_INFORM`], ...).
    pub tag: u8,
    pub request_id: i64,
    /// The whole PDU, tag and length included.
    pub pdu: &'a [u8],
}

impl<'a> ScopedPdu<'a> {
    /// Reads the contents of a scoped PDU's SEQUENCE.
    pub fn parse(contents: &'a [u8]) -> Result<ScopedPdu<'a>, UsmError> {
        let malformed = |_| UsmError::Malformed;
        let mut reader = AsnReader::from_bytes(contents);
        let context_engine_id = reader.read_asn_octetstring().map_err(malformed)?;
        let context_name = reader.read_asn_octetstring().map_err(malformed)?;
        let rest = &contents[contents.len() - reader.bytes_left()..];
        let tag = *rest.first().ok_or(UsmError::Malformed)?;
        let body = reader.read_raw(tag).map_err(malformed)?;
        let pdu = &rest[..rest.len() - reader.bytes_left()];
        let request_id = AsnReader::from_bytes(body)
            .read_asn_integer()
            .map_err(malformed)?;
        Ok(ScopedPdu {
            context_engine_id,
            context_name,
            tag,
            request_id,
            pdu,
        })
    }
}

/// `pdu` as the PDU of a v2c message, for `snmp2::Pdu::from_bytes` to decode its varbinds.
pub fn as_v2c_message(pdu: &[u8]) -> Vec<u8> {
    let mut body = tlv(TAG_INTEGER, &[1]);
    body.extend(tlv(TAG_OCTET_STRING, &[]));
    body.extend_from_slice(pdu);
    tlv(TAG_SEQUENCE, &body)
}

/// The response to an inform: the same request id and varbinds, no error (RFC 3416 4.2.7),
/// which is the inform's own PDU under the response tag.
pub fn response_to(inform_pdu: &[u8]) -> Vec<u8> {
    let mut response = inform_pdu.to_vec();
    if let Some(tag) = response.first_mut() {
        *tag = TAG_RESPONSE;
    }
    response
}

/// A report PDU (RFC 3414 3.2): which USM counter refused the request, and its value.
pub fn report(request_id: i64, counter_oid: &[u8], count: u32) -> Vec<u8> {
    let mut counter = Vec::new();
    let bytes = count.to_be_bytes();
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(3);
    if bytes[start] & 0x80 != 0 {
        counter.push(0);
    }
    counter.extend_from_slice(&bytes[start..]);
    let mut varbind = tlv(0x06, counter_oid);
    varbind.extend(tlv(0x41, &counter));
    let varbinds = tlv(TAG_SEQUENCE, &tlv(TAG_SEQUENCE, &varbind));
    let mut body = integer(request_id);
    body.extend(integer(0));
    body.extend(integer(0));
    body.extend(varbinds);
    tlv(TAG_REPORT, &body)
}

/// What an outgoing message says of its sender and how it is protected.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The `msgID` of the message it answers.
    pub msg_id: i64,
    pub engine_id: &'a [u8],
    pub engine_boots: i64,
    pub engine_time: i64,
    pub user_name: &'a [u8],
    /// Signs and encrypts with them; none sends in the clear (a discovery report).
    pub keys_opt: Option<&'a UserKeys>,
    /// Signed but not encrypted (a report that the sender's clock is off).
    pub encrypt: bool,
    /// A fresh value per message, for the cipher's salt.
    pub salt: u64,
    /// The scope of its PDU: a response's is its request's (RFC 3412 7.1), which the
    /// requester checks; a report's is the sender's engine and the default context.
    pub context_engine_id: &'a [u8],
    pub context_name: &'a [u8],
}

/// Writes a v3 message carrying `pdu` (a whole PDU, tag included).
pub fn write(out: &Outgoing<'_>, pdu: &[u8]) -> Vec<u8> {
    let mut scoped = tlv(TAG_OCTET_STRING, out.context_engine_id);
    scoped.extend(tlv(TAG_OCTET_STRING, out.context_name));
    scoped.extend_from_slice(pdu);
    let scoped = tlv(TAG_SEQUENCE, &scoped);
    let (flags, signature_len, data, salt) = match out.keys_opt {
        None => (0, 0, scoped, Vec::new()),
        Some(keys) if !out.encrypt => (
            FLAG_AUTH,
            keys.auth_protocol.signature_len(),
            scoped,
            Vec::new(),
        ),
        Some(keys) => {
            let (encrypted, salt) =
                keys.encrypt(&scoped, out.engine_boots, out.engine_time, out.salt);
            (
                FLAG_AUTH | FLAG_PRIV,
                keys.auth_protocol.signature_len(),
                tlv(TAG_OCTET_STRING, &encrypted),
                salt.to_vec(),
            )
        }
    };
    let mut global = integer(out.msg_id);
    global.extend(integer(65_507));
    global.extend(tlv(TAG_OCTET_STRING, &[flags]));
    global.extend(integer(3));
    let global = tlv(TAG_SEQUENCE, &global);
    let mut usm = tlv(TAG_OCTET_STRING, out.engine_id);
    usm.extend(integer(out.engine_boots));
    usm.extend(integer(out.engine_time));
    usm.extend(tlv(TAG_OCTET_STRING, out.user_name));
    let signature_tlv = tlv(TAG_OCTET_STRING, &vec![0; signature_len]);
    // Where the signature starts, counted from the end of the message: everything after
    // it is known now, so its place survives the headers written in front.
    let after_signature = salt.len() + 2 + data.len();
    usm.extend(signature_tlv);
    usm.extend(tlv(TAG_OCTET_STRING, &salt));
    let security = tlv(TAG_OCTET_STRING, &tlv(TAG_SEQUENCE, &usm));
    let mut body = integer(3);
    body.extend(global);
    body.extend(security);
    body.extend(data);
    let mut message = tlv(TAG_SEQUENCE, &body);
    if let Some(keys) = out.keys_opt {
        let end = message.len() - after_signature;
        let signature = keys.auth_protocol.sign(&keys.auth_key, &message);
        message[end - signature_len..end].copy_from_slice(&signature);
    }
    message
}

/// A definite-length TLV. (The `ber` writer writes backwards into a buffer it keeps, for the
/// poller's thousands of messages a second; the few messages here are clearer written
/// forwards.)
fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let start = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - start) as u8);
        out.extend_from_slice(&bytes[start..]);
    }
    out.extend_from_slice(contents);
    out
}

/// An INTEGER, two's complement, shortest form.
fn integer(n: i64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0x00 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(TAG_INTEGER, &bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3414 A.3: "maplesyrup" for engine 000000000000000000000002.
    #[test]
    fn keys_are_those_of_the_rfc() {
        let engine = hex("000000000000000000000002");
        let md5 = password_key(AuthProtocol::Md5, b"maplesyrup");
        assert_eq!(md5, hex("9faf3283884e92834ebc9847d8edd963"));
        assert_eq!(
            localize(AuthProtocol::Md5, &md5, &engine),
            hex("526f5eed9fcce26f8964c2930787d82b")
        );
        let sha = password_key(AuthProtocol::Sha1, b"maplesyrup");
        assert_eq!(sha, hex("9fb5cc0381497b3793528939ff788d5d79145211"));
        assert_eq!(
            localize(AuthProtocol::Sha1, &sha, &engine),
            hex("6695febc9288e36282235fc7151f128497b38f3f")
        );
    }

    fn keys(auth: AuthProtocol, privacy: PrivProtocol, engine: &[u8]) -> UserKeys {
        UserKeys::for_engine(
            auth,
            &password_key(auth, b"auth-secret"),
            privacy,
            &password_key(auth, b"priv-secret"),
            engine,
        )
        .unwrap()
    }

    #[test]
    fn what_is_written_reads_back_signed_and_opens() {
        let engine = b"\x80\x00\x00\x00\x05yunguan!";
        let pdu = report(42, &[0x2b, 6, 1, 6, 3, 15, 1, 1, 4, 0], 7);
        for (auth, privacy) in [
            (AuthProtocol::Sha1, PrivProtocol::Aes128),
            (AuthProtocol::Md5, PrivProtocol::Des),
            (AuthProtocol::Sha256, PrivProtocol::Aes256),
            (AuthProtocol::Sha512, PrivProtocol::Aes128),
        ] {
            let user_keys = keys(auth, privacy, engine);
            let bytes = write(
                &Outgoing {
                    msg_id: 1_234_567,
                    engine_id: engine,
                    engine_boots: 3,
                    engine_time: 1_000,
                    user_name: b"noc",
                    keys_opt: Some(&user_keys),
                    encrypt: true,
                    salt: 99,
                    context_engine_id: engine,
                    context_name: b"",
                },
                &pdu,
            );
            assert!(is_v3(&bytes));
            let message = Message::parse(&bytes).unwrap();
            assert_eq!(
                (message.msg_id, message.flags, message.user_name),
                (1_234_567, FLAG_AUTH | FLAG_PRIV, &b"noc"[..])
            );
            assert!(message.signed_by(&user_keys), "{auth:?}");
            let other = keys(auth, privacy, b"another-engine");
            assert!(!message.signed_by(&other), "{auth:?}");
            let contents = message.scoped_pdu(Some(&user_keys)).unwrap();
            let scoped = ScopedPdu::parse(&contents).unwrap();
            assert_eq!(scoped.context_engine_id, engine);
            assert_eq!((scoped.tag, scoped.request_id), (TAG_REPORT, 42));
            assert_eq!(scoped.pdu, pdu.as_slice());
            let v2c = as_v2c_message(scoped.pdu);
            let decoded = snmp2::Pdu::from_bytes(&v2c).unwrap();
            assert_eq!(decoded.message_type, snmp2::MessageType::Report);
            assert!(matches!(
                decoded.varbinds.clone().next(),
                Some((_, snmp2::Value::Counter32(7)))
            ));
        }
    }

    #[test]
    fn a_changed_byte_breaks_the_signature_and_garbage_is_refused() {
        let engine = b"engine-1";
        let user_keys = keys(AuthProtocol::Sha1, PrivProtocol::Aes128, engine);
        let mut bytes = write(
            &Outgoing {
                msg_id: 5,
                engine_id: engine,
                engine_boots: 1,
                engine_time: 2,
                user_name: b"noc",
                keys_opt: Some(&user_keys),
                encrypt: false,
                salt: 0,
                context_engine_id: engine,
                context_name: b"",
            },
            &response_to(&report(9, &[0x2b, 6, 1], 1)),
        );
        assert!(Message::parse(&bytes).unwrap().signed_by(&user_keys));
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(!Message::parse(&bytes).unwrap().signed_by(&user_keys));
        for garbage in [&b""[..], b"\x30\x03\x02\x01\x03", b"\x30\x80", &bytes[..20]] {
            assert!(Message::parse(garbage).is_err());
        }
        assert!(!is_v3(b"\x30\x03\x02\x01\x01"));
    }

    #[test]
    fn aes_256_needs_a_long_enough_key() {
        let short = UserKeys::for_engine(
            AuthProtocol::Sha1,
            &[0; 20],
            PrivProtocol::Aes256,
            &[0; 20],
            b"e",
        );
        assert_eq!(short.unwrap_err(), UsmError::UnsupportedKey);
    }
}
