// SigningKeys: the one Durable Object (named "global") that holds sysop's token-signing
// keys. It signs access tokens (POST /v1/auth/token) and, later, runner jobs, and publishes
// the public half for /.well-known/jwks.json. Keys are Ed25519 (JWS alg EdDSA). An alarm
// rotates the active key; a retired key stays published until every token it signed expired.
import { DurableObject } from "cloudflare:workers";
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload } from "jose";
import type { Env } from "../workers/src/env";
import { randomBase32 } from "../workers/src/domain/identity/ids";
import { MAX_TOKEN_TTL_SECONDS, TOKEN_ALG } from "../workers/src/domain/identity/token-policy";

const CLOCK_SKEW_SECONDS = 60;

type KeyRow = {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
};

export class SigningKeys extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private active: { kid: string; key: CryptoKey } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS signing_keys (
      kid TEXT PRIMARY KEY, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL,
      created_at INTEGER NOT NULL, retired_at INTEGER)`);
  }

  /** Signs a JWT with the active key; claims come fully formed from the caller. */
  async sign(claims: JWTPayload, header: { typ: string }): Promise<string> {
    const { kid, key } = await this.activeKey();
    return new SignJWT(claims).setProtectedHeader({ alg: TOKEN_ALG, kid, typ: header.typ }).sign(key);
  }

  /** Public keys that may still verify a live token: the active one and recently retired ones. */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    await this.activeKey();
    const keepAfter = Date.now() - (MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
    const rows = this.sql
      .exec<KeyRow>("SELECT * FROM signing_keys WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC", keepAfter)
      .toArray();
    return { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
  }

  /** Retires the active key and makes a new one; returns the new kid. */
  async rotate(): Promise<string> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const created = await this.createKey();
      this.sql.exec("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL AND kid != ?", Date.now(), created.kid);
      this.active = created;
      await this.scheduleRotation();
      return created.kid;
    });
  }

  override async alarm(): Promise<void> {
    await this.rotate();
    const forgetBefore = Date.now() - (MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
    this.sql.exec("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?", forgetBefore);
  }

  private async activeKey(): Promise<{ kid: string; key: CryptoKey }> {
    if (this.active) return this.active;
    return this.ctx.blockConcurrencyWhile(async () => {
      if (this.active) return this.active;
      const row = this.sql.exec<KeyRow>("SELECT * FROM signing_keys WHERE retired_at IS NULL LIMIT 1").toArray()[0];
      if (row) {
        const key = (await importJWK(JSON.parse(row.private_jwk) as JWK, TOKEN_ALG)) as CryptoKey;
        this.active = { kid: row.kid, key };
      } else {
        this.active = await this.createKey();
        await this.scheduleRotation();
      }
      return this.active;
    });
  }

  private async createKey(): Promise<{ kid: string; key: CryptoKey }> {
    const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
    const kid = `sk_${randomBase32(16)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALG, use: "sig" };
    const privateJwk = await exportJWK(privateKey);
    this.sql.exec(
      "INSERT INTO signing_keys (kid, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?)",
      kid,
      JSON.stringify(privateJwk),
      JSON.stringify(publicJwk),
      Date.now(),
    );
    return { kid, key: privateKey as CryptoKey };
  }

  private async scheduleRotation(): Promise<void> {
    const days = Number(this.env.SIGNING_KEY_ROTATION_DAYS) || 30;
    await this.ctx.storage.setAlarm(Date.now() + days * 86_400_000);
  }
}
