import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, signupOrg } from "./helpers";

describe("sign-up and first use", () => {
  it("signs up, lists teams with the key, exchanges it for a JWT that works the same, and a revoked key fails next", async () => {
    const org = await signupOrg("smoke");
    expect(org.key).toMatch(/^sysop_[a-z2-7]{12}_[a-z2-7]{52}$/);

    const teams = await callJson({ path: "/v1/teams", key: org.key }, 200);
    expect(teams.body.data.map((t: any) => t.id)).toEqual([org.teamId]);

    const token = await callJson({ method: "POST", path: "/v1/auth/token", key: org.key }, 200);
    const viaJwt = await callJson({ path: "/v1/teams", key: token.body.access_token }, 200);
    expect(viaJwt.body).toEqual(teams.body);

    await callJson({ method: "POST", path: `/v1/keys/${org.keyId}/revoke`, key: org.key }, 200);
    await expectProblem(await call({ path: "/v1/teams", key: org.key }), 401);
    // The token dies with its key.
    await expectProblem(await call({ path: "/v1/teams", key: token.body.access_token }), 401);
  });
});
