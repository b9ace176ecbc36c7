// External OIDC issuers an org trusts: tokens from them authenticate the org's members,
// matched by email. The JWKS is registered inline and must hold public keys only.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { desc, eq } from "drizzle-orm";
import { authorize } from "../http/authorize";
import { database, isUniqueViolation } from "../db/client";
import { findOidcIssuer } from "../db/lookups";
import { oidcIssuers, type OidcIssuerRow } from "../db/schema";
import { conflict } from "../domain/errors";
import { newId } from "../domain/identity/ids";
import { recordAudit } from "../audit/record";
import { defineRoute, json, jsonBody, OidcIdParams } from "./common";
import { OidcIssuerView, oidcIssuerView } from "./views";

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

const PublicJwk = z
  .looseObject({
    kty: z.enum(["RSA", "EC", "OKP"], { message: "kty must be RSA, EC or OKP (symmetric keys are refused)" }),
    kid: z.string().max(200).optional(),
    alg: z.string().max(20).optional(),
    use: z.literal("sig").optional(),
    n: z.string().max(2000).optional(),
    e: z.string().max(20).optional(),
    crv: z.enum(["P-256", "P-384", "P-521", "Ed25519"]).optional(),
    x: z.string().max(200).optional(),
    y: z.string().max(200).optional(),
  })
  .refine((k) => !PRIVATE_MEMBERS.some((m) => m in k), "must be a public key: private members (d, p, q, k, …) are refused")
  .refine(
    (k) => (k.kty === "RSA" ? !!(k.n && k.e) : k.kty === "EC" ? !!(k.crv && k.x && k.y) : !!(k.crv === "Ed25519" && k.x)),
    "is missing the members its kty needs (RSA: n, e; EC: crv, x, y; OKP: crv Ed25519, x)",
  )
  .refine((k) => !k.alg || !/^(HS|none)/i.test(k.alg), "alg must be asymmetric");

const IssuerCreate = z
  .strictObject({
    issuer: z.url({ protocol: /^https$/ }).max(500).openapi({ example: "https://login.acme.example" }),
    audience: z.string().trim().min(1).max(200).openapi({ description: "The aud your IdP puts in tokens meant for sysop." }),
    jwks: z.strictObject({ keys: z.array(PublicJwk).min(1).max(20) }),
    email_claim: z.string().regex(/^[A-Za-z0-9_.:\/-]{1,100}$/).default("email"),
  })
  .openapi("OidcIssuerCreate");

const listRoute = defineRoute({
  method: "get",
  path: "/oidc-issuers",
  tags: ["identity"],
  summary: "List the OIDC issuers the org trusts",
  access: "oidc:read",
  responses: { 200: json(z.object({ data: z.array(OidcIssuerView) }).openapi("OidcIssuerList"), "Issuers") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/oidc-issuers",
  tags: ["identity"],
  summary: "Trust an external OIDC issuer (issuer, audience and inline JWKS)",
  access: "oidc:write",
  request: { body: jsonBody(IssuerCreate) },
  responses: { 201: json(OidcIssuerView, "The registered issuer") },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/oidc-issuers/{issuer_id}",
  tags: ["identity"],
  summary: "Stop trusting an issuer; its tokens fail from the next request",
  access: "oidc:write",
  request: { params: OidcIdParams },
  responses: { 204: { description: "Removed" } },
});

export const oidcIssuerRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "oidc:read");
    const rows = await database(c.env).select().from(oidcIssuers).where(eq(oidcIssuers.orgId, c.var.principal.orgId)).orderBy(desc(oidcIssuers.createdAt));
    return c.json({ data: rows.map(oidcIssuerView) }, 200);
  })
  .openapi(createRoute, async (c) => {
    authorize(c, "oidc:write");
    const body = c.req.valid("json");
    const row: OidcIssuerRow = {
      id: newId("oidc"),
      orgId: c.var.principal.orgId,
      issuer: body.issuer,
      audience: body.audience,
      jwks: body.jwks as { keys: JsonWebKey[] },
      emailClaim: body.email_claim,
      createdAt: new Date().toISOString(),
    };
    try {
      await database(c.env).insert(oidcIssuers).values(row);
    } catch (err) {
      if (isUniqueViolation(err)) conflict("That issuer and audience pair is already registered. Use an audience unique to your org.");
      throw err;
    }
    await recordAudit(c, row.orgId, [
      { action: "oidc_issuer.registered", target: { type: "oidc_issuer", id: row.id }, details: { issuer: row.issuer, audience: row.audience, key_ids: oidcIssuerView(row).key_ids } },
    ]);
    return c.json(oidcIssuerView(row), 201);
  })
  .openapi(deleteRoute, async (c) => {
    authorize(c, "oidc:write");
    const db = database(c.env);
    const row = await findOidcIssuer(db, c.var.principal.orgId, c.req.valid("param").issuer_id);
    await db.delete(oidcIssuers).where(eq(oidcIssuers.id, row.id));
    await recordAudit(c, row.orgId, [{ action: "oidc_issuer.removed", target: { type: "oidc_issuer", id: row.id }, details: { issuer: row.issuer, audience: row.audience } }]);
    return c.body(null, 204);
  });
