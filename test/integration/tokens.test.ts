// Credentials end to end: access tokens (claims, scopes, rotation of the signing key),
// API key expiry and removal, and an org's own OIDC issuer.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { call, callJson, expectProblem, memberWithKey, signupOrg, unique } from "./helpers";

const signingKeys = () => env.SIGNING_KEYS.getByName("global");

describe("access tokens", () => {
  it("carry iss, aud, sub, org, typ and exp, are EdDSA-signed by a published key, and last at most the TTL", async () => {
    const org = await signupOrg("claims");
    const { body } = await callJson({ method: "POST", path: "/v1/auth/token", key: org.key }, 200);
    const header = decodeProtectedHeader(body.access_token);
    const claims = decodeJwt(body.access_token);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    expect(claims).toMatchObject({ iss: env.TOKEN_ISSUER, aud: env.TOKEN_AUDIENCE, sub: org.ownerId, org: org.orgId, typ: "access", key: org.keyId });
    expect(claims.exp! - claims.iat!).toBe(Number(env.TOKEN_TTL_SECONDS));
    const jwks = (await callJson({ path: "/.well-known/jwks.json" }, 200)).body;
    expect(jwks.keys.map((k: any) => k.kid)).toContain(header.kid);
    expect(jwks.keys.every((k: any) => k.d === undefined)).toBe(true);
    const me = (await callJson({ path: "/v1/me", key: body.access_token }, 200)).body;
    expect(me).toMatchObject({ id: org.ownerId, org_id: org.orgId, credential: "access_token" });
  });

  it("cannot be exchanged for another token, and can be narrowed but never widened", async () => {
    const org = await signupOrg("narrow");
    const token = (await callJson({ method: "POST", path: "/v1/auth/token", key: org.key }, 200)).body.access_token;
    await expectProblem(await call({ method: "POST", path: "/v1/auth/token", key: token }), 403);

    const narrow = (await callJson({ method: "POST", path: "/v1/auth/token", key: org.key, body: { scopes: ["teams:read"] } }, 200)).body;
    expect(narrow.scope).toBe("teams:read");
    await callJson({ path: "/v1/teams", key: narrow.access_token }, 200);
    await expectProblem(await call({ method: "POST", path: "/v1/teams", key: narrow.access_token, body: { name: unique("x") } }), 403);

    const readKey = (await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "ro", scopes: ["teams:read"] } }, 201)).body.key;
    const wider = await expectProblem(await call({ method: "POST", path: "/v1/auth/token", key: readKey, body: { scopes: ["teams:*"] } }), 422);
    expect(wider.issues[0].path).toBe("body.scopes");
    const inherited = (await callJson({ method: "POST", path: "/v1/auth/token", key: readKey }, 200)).body;
    expect(inherited.scope).toBe("teams:read");
  });

  it("keep verifying after the signing key rotates, until the old key's tokens have expired", async () => {
    const org = await signupOrg("rotate");
    const before = (await callJson({ method: "POST", path: "/v1/auth/token", key: org.key }, 200)).body.access_token;
    const oldKid = decodeProtectedHeader(before).kid;
    const newKid = await signingKeys().rotate();
    expect(newKid).not.toBe(oldKid);

    const after = (await callJson({ method: "POST", path: "/v1/auth/token", key: org.key }, 200)).body.access_token;
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    await callJson({ path: "/v1/me", key: before }, 200); // the retired key still verifies
    await callJson({ path: "/v1/me", key: after }, 200); // the new kid is fetched on first sight
    const published = (await signingKeys().publicJwks()).keys.map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([oldKid, newKid]));

    // Once every token of the retired key has expired, the key leaves the JWKS.
    await runInDurableObject(signingKeys(), (_i, state) => {
      state.storage.sql.exec("UPDATE signing_keys SET retired_at = ? WHERE kid = ?", Date.now() - 2 * 3600_000, oldKid);
    });
    const later = (await signingKeys().publicJwks()).keys.map((k) => k.kid);
    expect(later).not.toContain(oldKid);
    expect(later).toContain(newKid);
  });
});

describe("API keys", () => {
  it("record last use, fail once expired, and fail when their principal is removed", async () => {
    const org = await signupOrg("keys");
    const member = await memberWithKey(org, "member");
    await callJson({ path: "/v1/me", key: member.key }, 200);
    const used = (await callJson({ path: `/v1/keys/${member.keyId}`, key: org.key }, 200)).body;
    expect(used.last_used_at).not.toBeNull();

    const listed = (await callJson({ path: "/v1/keys", key: org.key }, 200)).body.data;
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(listed)).not.toContain(member.key.split("_")[2]);
    expect(listed.every((k: any) => k.key === undefined && k.secret_hash === undefined)).toBe(true);

    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), member.keyId).run();
    expect((await expectProblem(await call({ path: "/v1/me", key: member.key }), 401)).detail).toContain("expired");

    const other = await memberWithKey(org, "member");
    await callJson({ method: "DELETE", path: `/v1/principals/${other.principalId}`, key: org.key }, 200);
    await expectProblem(await call({ path: "/v1/me", key: other.key }), 401);
    const revoked = (await callJson({ path: `/v1/keys/${other.keyId}`, key: org.key }, 200)).body;
    expect(revoked.revoked_at).not.toBeNull();
  });

  it("refuse an expiry in the past, and let only managers mint keys for others", async () => {
    const org = await signupOrg("mint");
    const past = await expectProblem(await call({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "x", expires_at: "2020-01-01T00:00:00Z" } }), 422);
    expect(past.issues[0].path).toBe("body.expires_at");
    const member = await memberWithKey(org, "member");
    await expectProblem(await call({ method: "POST", path: "/v1/keys", key: member.key, body: { name: "x", principal_id: org.ownerId } }), 403);
    await expectProblem(await call({ method: "POST", path: `/v1/keys/${org.keyId}/revoke`, key: member.key }), 403);
    const soon = new Date(Date.now() + 86_400_000).toISOString();
    const own = (await callJson({ method: "POST", path: "/v1/keys", key: member.key, body: { name: "mine", expires_at: soon } }, 201)).body;
    expect(own.principal_id).toBe(member.principalId);
    expect(own.expires_at).toBe(soon);
  });
});

describe("an org's own OIDC issuer", () => {
  async function issuerFor(orgKey: string, audience: string) {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "idp-key-1", alg: "RS256", use: "sig" };
    const reg = (await callJson({ method: "POST", path: "/v1/oidc-issuers", key: orgKey, body: { issuer: "https://login.acme.example", audience, jwks: { keys: [jwk] } } }, 201)).body;
    const sign = (claims: Record<string, unknown>, opts: { aud?: string; iss?: string; exp?: number; key?: CryptoKey } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "idp-key-1" })
        .setIssuer(opts.iss ?? "https://login.acme.example")
        .setAudience(opts.aud ?? audience)
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 300)
        .sign(opts.key ?? privateKey);
    return { reg, sign };
  }

  it("authenticates a member by email and refuses wrong aud, iss, key, expiry, unknown emails and removed issuers", async () => {
    const org = await signupOrg("oidc");
    const member = await memberWithKey(org, "auditor");
    const email = (await callJson({ path: `/v1/principals/${member.principalId}`, key: org.key }, 200)).body.email;
    const audience = unique("sysop");
    const { reg, sign } = await issuerFor(org.key, audience);

    const me = (await callJson({ path: "/v1/me", key: await sign({ sub: "idp|1", email: email.toUpperCase() }) }, 200)).body;
    expect(me).toMatchObject({ id: member.principalId, org_role: "auditor", credential: "oidc" });

    const other = await generateKeyPair("RS256");
    const refused = [
      await sign({ email }, { aud: "someone-else" }),
      await sign({ email }, { key: other.privateKey }),
      await sign({ email }, { exp: Math.floor(Date.now() / 1000) - 120 }),
      await sign({ email: "nobody@acme.example" }),
      await sign({ email, email_verified: false }),
      await sign({ sub: "no-email" }),
      await sign({ email }, { iss: "https://evil.example" }),
    ];
    for (const token of refused) await expectProblem(await call({ path: "/v1/me", key: token }), 401);

    await callJson({ method: "DELETE", path: `/v1/oidc-issuers/${reg.id}`, key: org.key }, 204);
    await expectProblem(await call({ path: "/v1/me", key: await sign({ email }) }), 401);
  });

  it("refuses symmetric or private keys in a registered JWKS", async () => {
    const org = await signupOrg("oidc-bad");
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const priv = await exportJWK(privateKey);
    const cases = [{ kty: "oct", k: "c2VjcmV0" }, priv, { kty: "RSA", e: "AQAB" }];
    for (const key of cases) {
      const p = await expectProblem(await call({ method: "POST", path: "/v1/oidc-issuers", key: org.key, body: { issuer: "https://idp.example", audience: unique("a"), jwks: { keys: [key] } } }), 422);
      expect(p.issues[0].path).toMatch(/^body\.jwks\.keys\.0/);
    }
  });
});
