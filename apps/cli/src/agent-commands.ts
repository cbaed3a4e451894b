import { readAgentConfig, runAgentDaemon } from '@kumo/agent';

/**
 * `kumo agent`: run this host's agent daemon until SIGTERM/SIGINT. Settings
 * are KUMO_AGENT_* variables (see apps/agent/src/config.ts); the first start
 * needs KUMO_AGENT_CONTROL_PLANE_URL and a KUMO_AGENT_JOIN_TOKEN.
 */
export async function agentCommand(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await runAgentDaemon(readAgentConfig(env));
}
