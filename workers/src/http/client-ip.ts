// The caller's address for the evidence log, from the one request header the deployment
// trusts to carry it (CLIENT_IP_HEADER): Cloudflare's edge sets CF-Connecting-IP (the
// default); a self-hosted install names the header its TLS-terminating proxy sets. Any other
// header a client sends is ignored, since a client can write any header it likes.
import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { clientAddressFrom } from "../domain/audit/client-address";

const DEFAULT_CLIENT_IP_HEADER = "cf-connecting-ip";

export function clientIp(c: Context<AppEnv>): string | null {
  return clientAddressFrom(c.req.header(c.env.CLIENT_IP_HEADER || DEFAULT_CLIENT_IP_HEADER));
}
