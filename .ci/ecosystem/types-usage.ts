// Code another team would write against the types openapi-typescript generates from both specs,
// compiled with `tsc --strict --noEmit` by .ci/ecosystem-typescript.sh. A spec change that breaks
// such code fails compilation: a path, parameter or field removed or renamed, a type changed, a
// parameter made required, a response field made optional or nullable, an enum value removed.
// (New enum values and new optional fields are compatible here, as in the diff policy.)
import type {
  components as Cbr,
  operations as CbrOperations,
  paths as CbrPaths,
} from "./cbr";
import type {
  components as Ocp,
  operations as OcpOperations,
  paths as OcpPaths,
} from "./ocp";

// ---- CBR: GET /v3/{project_id}/operation-logs ----
type CbrList = CbrOperations["list_op_logs"];
export type CbrGet = CbrPaths["/v3/{project_id}/operation-logs"]["get"];

export const cbrPath: CbrList["parameters"]["path"] = {
  project_id: "04f1829c788037ac2fb8c01eb2b04b95",
};
// No filter is required.
export const cbrNoFilter: CbrList["parameters"]["query"] = {};
// Every filter, by its documented name and type.
export const cbrEveryFilter: NonNullable<CbrList["parameters"]["query"]> = {
  end_time: "2018-02-01T12:00:00Z",
  enterprise_project_id: "all_granted_eps",
  limit: 1000,
  offset: 0,
  operation_type: "replication",
  provider_id: "0daac4c5-6707-4851-97ba-169e36266b66",
  resource_id: "1dab32fa-ebf2-415a-ab0b-eabe6353bc86",
  resource_name: "ECS-0001",
  start_time: "2018-01-01T12:00:00Z",
  status: "failed",
  vault_id: "3b5816b5-f29c-4172-9d9a-76c719a659ce",
  vault_name: "vault-0001",
};

type CbrPage = CbrList["responses"][200]["content"]["application/json"];
type OperationLog = Cbr["schemas"]["OperationLog"];

/**
 * One line per task, reading every always-present field without a check. Since 2.0.0 the page's
 * `count` and `operation_logs` are optional (as in every CBR SDK), so they are checked here.
 */
export function cbrLines(page: CbrPage): string[] {
  const count: number | undefined = page.count;
  return (page.operation_logs ?? []).map((log: OperationLog) => {
    const id: string = log.id;
    const project: string = log.project_id;
    const times: string[] = [log.created_at, log.started_at, log.updated_at];
    const ended: string | undefined = log.ended_at;
    const failed: boolean = log.status === "failed" || log.status === "timeout";
    const error: string = `${log.error_info.code} ${log.error_info.message}`;
    const vault: string = log.vault_id ?? log.vault_name ?? "(no vault)";
    const policy: string | null | undefined = log.policy_id;
    const isCopy: boolean = log.operation_type === "copy" || log.operation_type === "sync";
    const progress: number | undefined = log.extra_info?.common?.progress;
    const incremental = log.extra_info?.backup?.incremental;
    const full: boolean = incremental === false || incremental === "false";
    const resource: string | undefined = log.extra_info?.resource?.type;
    const removed: number | undefined = log.extra_info?.vault_delete?.fail_count;
    const source: string | undefined = log.extra_info?.replication?.source_region;
    return [id, project, ...times, ended, failed, error, vault, policy, isCopy, progress, full,
      resource, removed, source, count].join(" ");
  });
}

// ---- OCP: GET /api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks ----
type OcpList = OcpOperations["list_log_backup_tasks"];
export type OcpGet =
  OcpPaths["/api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks"]["get"];

export const ocpPath: OcpList["parameters"]["path"] = { id: 1000005, tenantId: 1000012 };
export const ocpNoFilter: OcpList["parameters"]["query"] = {};
export const ocpEveryFilter: NonNullable<OcpList["parameters"]["query"]> = {
  startTime: "2024-08-06T00:00:00Z",
  endTime: "2024-08-07T00:00:00Z",
  status: ["STARTING", "INPROGRESS", "FAILED"],
  page: 1,
  size: 100,
};

type OcpPage = OcpList["responses"][200]["content"]["application/json"];
type LogBackupTask = Ocp["schemas"]["LogBackupTask"];

/** Paging and one line per task (every task field is optional: OCP leaves nulls out). */
export function ocpLines(body: OcpPage): string[] {
  const ok: boolean = body.successful;
  const page: number[] = [
    body.data.page.number,
    body.data.page.size,
    body.data.page.totalElements,
    body.data.page.totalPages,
  ];
  return body.data.contents.map((task: LogBackupTask) => {
    const tenant: number | string | undefined = task.tenantId;
    const cluster: number | string | undefined = task.clusterId;
    const delay: number | undefined = task.delay;
    const running: boolean = task.status === "RUNNING" || task.status === "BEGINNING";
    const created: string | undefined = task.createTime;
    const mode: boolean = task.backupMode === "PHYSICAL_BACKUP";
    const standby: boolean = task.clusterType === "STANDBY";
    return [ok, ...page, tenant, cluster, delay, running, created, mode, standby].join(" ");
  });
}

type OcpError = OcpList["responses"][429]["content"]["application/json"];

/** Every OCP error status shares the envelope; the code is an integer or a string. */
export function ocpError(error: OcpError): string {
  const failed: false = error.successful;
  const code: number | string = error.error.code;
  const status: number = error.status;
  return `${failed} ${status} ${code} ${error.error.message} ${error.error.subErrors?.length}`;
}
