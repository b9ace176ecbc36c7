// The gateway's per-isolate settings cache: fresh copies answer at once, an expired copy is
// answered once more while a fresh one loads (only when the caller can keep that load alive),
// a copy past twice the age is never answered, and a change in this isolate wins over a load
// that was already in flight.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetGatewaySettings, gatewaySettings, SETTINGS_CACHE_MS } from "../../workers/src/gateway/settings";
import { signupOrg } from "./helpers";

const price = (input: number) => ({ input, output: 2_000_000, cache_read: 100_000, cache_write: 1_250_000 });

async function setDefaultPrice(orgId: string, input: number) {
  // Straight into D1, as another isolate's change would land: this isolate is not told.
  await env.DB.prepare(
    "INSERT INTO org_prices (org_id, overrides, default_price, updated_at) VALUES (?, '{}', ?, ?) ON CONFLICT (org_id) DO UPDATE SET default_price = excluded.default_price",
  )
    .bind(orgId, JSON.stringify(price(input)), new Date().toISOString())
    .run();
}

describe("gateway settings cache", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers an expired copy while it reloads, and never one past twice the age", async () => {
    const { orgId } = await signupOrg("settings-cache");
    const t0 = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(t0);
    await setDefaultPrice(orgId, 1);
    expect((await gatewaySettings(env, orgId, "anthropic")).defaultPrice?.input).toBe(1);

    await setDefaultPrice(orgId, 2);
    // Fresh: the copy, without reading D1.
    expect((await gatewaySettings(env, orgId, "anthropic")).defaultPrice?.input).toBe(1);

    // Expired: the copy once more, and the reload handed to waitUntil.
    clock.mockReturnValue(t0 + SETTINGS_CACHE_MS + 1);
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void background.push(p);
    expect((await gatewaySettings(env, orgId, "anthropic", waitUntil)).defaultPrice?.input).toBe(1);
    expect(background).toHaveLength(1);
    await Promise.all(background);
    expect((await gatewaySettings(env, orgId, "anthropic", waitUntil)).defaultPrice?.input).toBe(2);
    expect(background).toHaveLength(1);

    // Without waitUntil, an expired copy is not answered: the caller waits for D1.
    await setDefaultPrice(orgId, 3);
    clock.mockReturnValue(t0 + 2 * SETTINGS_CACHE_MS + 2);
    expect((await gatewaySettings(env, orgId, "anthropic")).defaultPrice?.input).toBe(3);

    // Past twice the age, not even with waitUntil.
    await setDefaultPrice(orgId, 4);
    clock.mockReturnValue(t0 + 5 * SETTINGS_CACHE_MS);
    expect((await gatewaySettings(env, orgId, "anthropic", waitUntil)).defaultPrice?.input).toBe(4);
  });

  it("does not cache what a load in flight read when this isolate changed the settings meanwhile", async () => {
    const { orgId } = await signupOrg("settings-race");
    await setDefaultPrice(orgId, 10);
    const inFlight = gatewaySettings(env, orgId, "anthropic");
    forgetGatewaySettings(orgId);
    await setDefaultPrice(orgId, 11);
    await inFlight;
    expect((await gatewaySettings(env, orgId, "anthropic")).defaultPrice?.input).toBe(11);
  });
});
