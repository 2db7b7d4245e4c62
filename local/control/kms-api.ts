import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { type AwsRequest, param } from "../iam/request.js";
import type { AccountPolicies } from "../iam/resource-policies.js";
import { notAnswered, required, serviceError } from "./errors.js";

// KMS, answered for the template's keys (their policies decide each call: iam/authorizer.ts):
// describing and listing keys and aliases, and encrypting, decrypting and making data keys. A key's
// material is derived from a secret of this run and the key's ARN; a ciphertext names its key and is
// bound to its encryption context, so decrypting it with another context fails as KMS's does.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html

export interface KmsDeps {
  readonly account: string;
  readonly policies: () => AccountPolicies;
  readonly createdAt: Date;
}

const ALGORITHM = "SYMMETRIC_DEFAULT";
/** A ciphertext blob's first byte: this format's version. */
const VERSION = 1;

export class KmsApi {
  /** The run's secret every key's material is derived from (ciphertexts live as long as the stack). */
  private readonly secret = randomBytes(32);

  constructor(private readonly deps: KmsDeps) {}

  answer(call: AwsRequest): Record<string, unknown> {
    const input = call.json ?? {};
    const { keys } = this.deps.policies();
    switch (call.operation) {
      case "ListKeys":
        return { Keys: keys.map(({ key, id }) => ({ KeyId: id, KeyArn: key.arn })), Truncated: false };
      case "ListAliases": {
        const only = param(call, "KeyId");
        const target = only === undefined ? undefined : this.key(only).arn;
        return {
          Aliases: keys
            .filter(({ key }) => target === undefined || key.arn === target)
            .flatMap(({ key, id, aliases }) =>
              aliases.map((alias) => ({
                AliasName: alias,
                AliasArn: `${key.arn.slice(0, key.arn.indexOf(":key/"))}:${alias}`,
                TargetKeyId: id,
              })),
            ),
          Truncated: false,
        };
      }
      case "DescribeKey": {
        const key = this.key(required(param(call, "KeyId"), "KeyId"));
        const id = key.arn.slice(key.arn.lastIndexOf("/") + 1);
        return {
          KeyMetadata: {
            AWSAccountId: this.deps.account,
            KeyId: id,
            Arn: key.arn,
            CreationDate: this.deps.createdAt,
            Enabled: key.enabled,
            Description: "",
            KeyUsage: "ENCRYPT_DECRYPT",
            KeyState: key.enabled ? "Enabled" : "Disabled",
            Origin: "AWS_KMS",
            KeyManager: key.managedFor === undefined ? "CUSTOMER" : "AWS",
            CustomerMasterKeySpec: ALGORITHM,
            KeySpec: ALGORITHM,
            EncryptionAlgorithms: [ALGORITHM],
            MultiRegion: false,
          },
        };
      }
      case "Encrypt": {
        const key = this.usable(required(param(call, "KeyId"), "KeyId"));
        const plaintext = Buffer.from(required(param(call, "Plaintext"), "Plaintext"), "base64");
        return {
          CiphertextBlob: this.seal(key.arn, plaintext, input.EncryptionContext).toString("base64"),
          KeyId: key.arn,
          EncryptionAlgorithm: ALGORITHM,
        };
      }
      case "GenerateDataKey": {
        const key = this.usable(required(param(call, "KeyId"), "KeyId"));
        const spec = param(call, "KeySpec");
        const bytes =
          typeof input.NumberOfBytes === "number"
            ? input.NumberOfBytes
            : spec === "AES_128"
              ? 16
              : spec === "AES_256"
                ? 32
                : 0;
        if (bytes < 1 || bytes > 1024) {
          throw serviceError("ValidationException", "Please specify either number of bytes or key spec.");
        }
        const plaintext = randomBytes(bytes);
        return {
          CiphertextBlob: this.seal(key.arn, plaintext, input.EncryptionContext).toString("base64"),
          Plaintext: plaintext.toString("base64"),
          KeyId: key.arn,
        };
      }
      case "Decrypt": {
        const blob = Buffer.from(required(param(call, "CiphertextBlob"), "CiphertextBlob"), "base64");
        const { keyArn, plaintext } = this.open(blob, input.EncryptionContext);
        const named = param(call, "KeyId");
        if (named !== undefined && this.key(named).arn !== keyArn) {
          throw serviceError(
            "IncorrectKeyException",
            "The key ID in the request does not identify a CMK that can perform this operation.",
          );
        }
        this.usable(keyArn);
        return { KeyId: keyArn, Plaintext: plaintext.toString("base64"), EncryptionAlgorithm: ALGORITHM };
      }
      default:
        throw notAnswered();
    }
  }

  private key(id: string) {
    const key = this.deps.policies().key(id);
    if (!key) throw serviceError("NotFoundException", `Key '${id}' does not exist`);
    return key;
  }

  private usable(id: string) {
    const key = this.key(id);
    if (!key.enabled) throw serviceError("DisabledException", `${key.arn} is disabled.`);
    return key;
  }

  private material(keyArn: string): Buffer {
    return createHmac("sha256", this.secret).update(keyArn).digest();
  }

  /** version · key ARN's length and bytes · IV · tag · ciphertext; the context is the AEAD's additional data. */
  private seal(keyArn: string, plaintext: Buffer, context: unknown): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.material(keyArn), iv);
    cipher.setAAD(contextBytes(context));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const arn = Buffer.from(keyArn);
    return Buffer.concat([Buffer.from([VERSION, arn.length]), arn, iv, cipher.getAuthTag(), sealed]);
  }

  private open(blob: Buffer, context: unknown): { keyArn: string; plaintext: Buffer } {
    const invalid = serviceError("InvalidCiphertextException", "");
    if (blob[0] !== VERSION || blob.length < 2) throw invalid;
    const arnLength = blob[1] as number;
    const keyArn = blob.subarray(2, 2 + arnLength).toString();
    const at = 2 + arnLength;
    const iv = blob.subarray(at, at + 12);
    const tag = blob.subarray(at + 12, at + 28);
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.material(keyArn), iv);
      decipher.setAAD(contextBytes(context));
      decipher.setAuthTag(tag);
      return { keyArn, plaintext: Buffer.concat([decipher.update(blob.subarray(at + 28)), decipher.final()]) };
    } catch {
      throw invalid;
    }
  }
}

/** An encryption context as bytes that do not depend on its keys' order. */
function contextBytes(context: unknown): Buffer {
  const entries = context !== null && typeof context === "object" ? Object.entries(context).sort() : [];
  return Buffer.from(JSON.stringify(entries));
}
