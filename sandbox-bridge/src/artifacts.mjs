// @ts-check
// Uploading a job's artifacts (PROTOCOL.md §4): only the kinds the job's constraints allow, by
// content hash, within the control plane's 10 MiB cap. A failed upload is logged and left out
// of the outcome rather than failing work that is otherwise done. Used by run-job.mjs.
import { createHash } from "node:crypto";
import { errorMessage } from "./log.mjs";

export const MAX_ARTIFACT_BYTES = 10 * 1024 * 1024;

/**
 * @typedef {{kind: "diff" | "test_report" | "log", bytes: Uint8Array, contentType: string}} Artifact
 * @typedef {{kind: string, sha256: string, size: number}} ArtifactRef
 */

/** @param {Uint8Array} bytes */
export const sha256Hex = (bytes) => createHash("sha256").update(bytes).digest("hex");

/**
 * @param {{client: import("./client.mjs").Client, log: import("./log.mjs").Logger, jobId: string, leaseId: string, allowed: readonly string[]}} ctx
 * @param {Artifact[]} artifacts
 * @returns {Promise<ArtifactRef[]>}
 */
export async function uploadArtifacts(ctx, artifacts) {
  /** @type {ArtifactRef[]} */
  const uploaded = [];
  for (const artifact of artifacts) {
    if (!ctx.allowed.includes(artifact.kind)) continue;
    const size = artifact.bytes.length;
    if (size > MAX_ARTIFACT_BYTES) {
      ctx.log.warn("artifact too large to upload", { job_id: ctx.jobId, kind: artifact.kind, size });
      continue;
    }
    const sha256 = sha256Hex(artifact.bytes);
    try {
      await ctx.client.putArtifact(ctx.jobId, ctx.leaseId, artifact.kind, sha256, artifact.bytes, artifact.contentType);
      uploaded.push({ kind: artifact.kind, sha256, size });
    } catch (err) {
      ctx.log.warn("artifact upload failed", { job_id: ctx.jobId, kind: artifact.kind, error: errorMessage(err) });
    }
  }
  return uploaded;
}
