// The secret(s) an org's task callbacks are signed with (Sysop-Signature: t=…,v1=…), and
// their rotation: the previous secret keeps signing for 24 hours beside the new one.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { authorize } from "../http/authorize";
import { recordAudit } from "../audit/record";
import { callbackSecrets, rotateCallbackSecret } from "../governance/callback-secrets";
import { defineRoute, json } from "./common";

const Secrets = z.object({ secrets: z.array(z.string()).openapi({ description: "newest first; during a rotation both sign (two v1= values)" }) }).openapi("CallbackSecrets");
const getSecretRoute = defineRoute({ method: "get", path: "/org/callback-secret", tags: ["tasks"], summary: "The secret(s) task callbacks are signed with (Sysop-Signature: t=…,v1=…)", access: "keys:manage", responses: { 200: json(Secrets, "Secrets") } });
const rotateSecretRoute = defineRoute({ method: "post", path: "/org/callback-secret/rotate", tags: ["tasks"], summary: "Start signing with a new secret; the previous one keeps signing for 24 hours", access: "keys:manage", responses: { 200: json(Secrets, "Secrets") } });

export const callbackSecretRoutes = newRouter()
  .openapi(getSecretRoute, async (c) => {
    authorize(c, "keys:manage");
    return c.json({ secrets: await callbackSecrets(c.env, c.var.principal.orgId) }, 200);
  })
  .openapi(rotateSecretRoute, async (c) => {
    authorize(c, "keys:manage");
    await rotateCallbackSecret(c.env, c.var.principal.orgId);
    await recordAudit(c, c.var.principal.orgId, [{ action: "org.callback_secret_rotated", target: { type: "org", id: c.var.principal.orgId } }]);
    return c.json({ secrets: await callbackSecrets(c.env, c.var.principal.orgId) }, 200);
  });
