/**
 * What a frontend team writes against the TypeScript types openapi-typescript generates from openapi/prm.json:
 * create a partner, page through partners, read a problem. scripts/contract.sh generates the types into
 * ./generated and compiles this with `tsc --noEmit --strict`, so a change of the contract that would break
 * such code fails there first. Nothing here runs; it only has to type-check.
 */
import type { components, operations, paths } from "./generated/prm";

type Schemas = components["schemas"];
export type PartnerIn = Schemas["PartnerIn"];
export type Problem = Schemas["Problem"];
export type CreatedPartner = paths["/v1/partners"]["post"]["responses"][201]["content"]["application/json"];
export type PartnerPage = paths["/v1/partners"]["get"]["responses"][200]["content"]["application/json"];
export type PartnerQuery = NonNullable<operations["list_partners"]["parameters"]["query"]>;
type ProblemAnswer = paths["/v1/partners/{partner_id}"]["get"]["responses"][404]["content"]["application/problem+json"];

/** A successful answer's body, or the problem the API answered instead. */
export type Answer<T> = { ok: true; value: T } | { ok: false; status: number; problem: Problem };

export interface PrmClient {
  baseUrl: string;
  apiKey: string;
}

export const newPartner: PartnerIn = {
  legal_name: "Nordlicht IT GmbH",
  partner_type: "reseller",
  country: "DE",
  website_domain: "nordlicht-it.example",
  specialisations: { product_lines: ["firewall"], industries: ["logistics"] },
};

// The types refuse what the API would refuse:
// @ts-expect-error a partner needs its legal name
export const withoutName: PartnerIn = { partner_type: "reseller", country: "DE" };
// @ts-expect-error partner_type is one of the document's values, not any string
export const unknownType: PartnerIn = { legal_name: "Acme", partner_type: "wizard", country: "DE" };

async function call<T>(client: PrmClient, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const response = await fetch(new URL(path, client.baseUrl), {
    method,
    headers: { Authorization: `Bearer ${client.apiKey}`, "Content-Type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const payload: unknown = await response.json();
  if (response.ok) {
    return { ok: true, value: payload as T };
  }
  return { ok: false, status: response.status, problem: payload as ProblemAnswer };
}

export function createPartner(client: PrmClient, body: PartnerIn): Promise<Answer<CreatedPartner>> {
  return call<CreatedPartner>(client, "POST", "/v1/partners", body);
}

export function partnerPage(client: PrmClient, query: PartnerQuery = {}): Promise<Answer<PartnerPage>> {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== null && one !== undefined) {
        search.append(name, String(one));
      }
    }
  }
  return call<PartnerPage>(client, "GET", `/v1/partners?${search.toString()}`);
}

/** Every partner matching `query`, page after page, following `next_cursor`. */
export async function* everyPartner(client: PrmClient, query: PartnerQuery = {}) {
  let cursor: string | null | undefined = undefined;
  do {
    const page: Answer<PartnerPage> = await partnerPage(client, cursor ? { ...query, cursor } : query);
    if (!page.ok) {
      throw new Error(describeProblem(page.problem));
    }
    for (const partner of page.value.items) {
      yield { id: partner.id, name: partner.display_name, status: partner.status, tier: partner.tier };
    }
    cursor = page.value.next_cursor;
  } while (cursor);
}

/** A problem as a line for a person: status, title, detail and the fields a 422 names. */
export function describeProblem(problem: Problem): string {
  const issues = (problem.errors ?? []).map((issue) => `${issue.loc.join(".")}: ${issue.msg}`);
  const detail = problem.detail ?? problem.title;
  const kind = problem.type ?? "about:blank";
  return [`${problem.status} ${problem.title} (${kind}): ${detail}`, ...issues].join("\n  ");
}

export async function registerAndList(client: PrmClient): Promise<string[]> {
  const created = await createPartner(client, newPartner);
  if (!created.ok) {
    return [describeProblem(created.problem)];
  }
  const names: string[] = [`created ${created.value.id} as ${created.value.status}`];
  for await (const partner of everyPartner(client, { status: ["prospect"], sort: "-created_at", limit: 50 })) {
    names.push(`${partner.name} (${partner.status}, ${partner.tier ?? "no tier"})`);
  }
  return names;
}
