// POST /v1/signup: a new org with its owner, a default team and the owner's first API key,
// written in one D1 batch (all or nothing) and recorded as the first event of the org's
// evidence chain. The only /v1 route without a credential.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { eq } from "drizzle-orm";
import { database, isUniqueViolation } from "../db/client";
import { apiKeys, orgs, principals, teamMembers, teams } from "../db/schema";
import { conflict, fail } from "../domain/errors";
import { newApiKey, newId, slugify } from "../domain/identity/ids";
import { sha256Hex } from "../domain/audit/chain";
import { recordAudit } from "../audit/record";
import { defineRoute, Email, json, jsonBody, Name, Slug } from "./common";
import { NewApiKeyView, OrgView, PrincipalView, TeamView, apiKeyView, orgView, principalView, teamView } from "./views";

const SignupBody = z
  .strictObject({
    org_name: Name.openapi({ example: "Acme Corp" }),
    org_slug: Slug.optional().openapi({ description: "Defaults to a slug of org_name." }),
    owner_email: Email.openapi({ example: "ada@acme.example" }),
    owner_name: Name.openapi({ example: "Ada Lovelace" }),
  })
  .openapi("SignupRequest");

const SignupResult = z
  .object({ org: OrgView, owner: PrincipalView, team: TeamView, api_key: NewApiKeyView })
  .openapi("SignupResult");

const signupRoute = defineRoute({
  method: "post",
  path: "/signup",
  tags: ["identity"],
  summary: "Create an org, its owner, a default team and the owner's first API key",
  access: "public",
  request: { body: jsonBody(SignupBody) },
  responses: { 201: json(SignupResult, "Created; the API key is shown once") },
});

export const signup = newRouter().openapi(signupRoute, async (c) => {
  const body = c.req.valid("json");
  const db = database(c.env);
  const slug = body.org_slug ?? slugify(body.org_name);
  if (!slug) {
    fail({
      kind: "validation",
      detail: "Invalid body.org_slug.",
      issues: [{ path: "body.org_slug", message: "org_name has no latin letters or digits to make a slug from; send org_slug", code: "slug_required" }],
    });
  }

  const [slugTaken, emailTaken] = await db.batch([
    db.select({ id: orgs.id }).from(orgs).where(eq(orgs.slug, slug)),
    db.select({ id: principals.id }).from(principals).where(eq(principals.email, body.owner_email)),
  ]);
  if (slugTaken.length) conflict(`An org with slug "${slug}" already exists.`);
  if (emailTaken.length) conflict("That owner email already belongs to an org.");

  const now = new Date().toISOString();
  const org = { id: newId("org"), slug, name: body.org_name, createdAt: now, slackTeamId: null, slackBotTokenSealed: null };
  const owner = {
    id: newId("usr"),
    orgId: org.id,
    kind: "user" as const,
    email: body.owner_email,
    name: body.owner_name,
    orgRole: "owner" as const,
    status: "active" as const,
    createdAt: now,
  };
  const team = { id: newId("team"), orgId: org.id, slug: "default", name: "Default", archivedAt: null, createdAt: now, slackWebhookUrl: null };
  const material = newApiKey();
  const key = {
    id: material.id,
    orgId: org.id,
    principalId: owner.id,
    name: "first key",
    prefix: material.prefix,
    secretHash: sha256Hex(material.key),
    scopes: ["*"],
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    createdBy: owner.id,
    createdAt: now,
  };

  try {
    await db.batch([
      db.insert(orgs).values(org),
      db.insert(principals).values(owner),
      db.insert(teams).values(team),
      db.insert(teamMembers).values({ teamId: team.id, principalId: owner.id, orgId: org.id, role: "lead", createdAt: now }),
      db.insert(apiKeys).values(key),
    ]);
  } catch (err) {
    // Two sign-ups racing for one slug or email: the loser's batch rolls back whole.
    if (isUniqueViolation(err)) conflict("That org slug or owner email was just taken.");
    throw err;
  }

  await recordAudit(
    c,
    org.id,
    [
      {
        action: "org.signup",
        target: { type: "org", id: org.id },
        details: { org_slug: slug, owner_id: owner.id, owner_email: owner.email, team_id: team.id, api_key_id: key.id, api_key_prefix: key.prefix },
      },
    ],
    { id: owner.id, kind: "user", keyId: null },
  );

  return c.json(
    {
      org: orgView(org),
      owner: principalView(owner),
      team: teamView(team),
      api_key: { ...apiKeyView(key), key: material.key },
    },
    201,
  );
});
