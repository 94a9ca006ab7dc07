// The shapes the pages read (docs/http-api.md).
export type Visibility = "public" | "publicInviteOnly" | "private";

export interface Community {
  uuid: string;
  name: string;
  handle?: string;
  description: string;
  tags: string[];
  visibility: Visibility;
  listWhenPrivate: boolean;
  theme?: string;
  ownersApproveContent?: boolean;
  viewersFlagContent?: boolean;
  parentUuid?: string | null;
  version?: number;
  memberCount?: number;
  callerRole?: "owner" | "member" | null;
  access: "full" | "listing";
  owners?: { id: string; login: string; displayName: string }[];
  trash?: { trashedAt: string; purgeAfter: string };
}

export interface Member {
  userId: string;
  login: string;
  email: string;
  displayName: string;
  role: "owner" | "member";
  added: string;
}

export interface Widget {
  instanceId: string;
  widgetDefId: string;
  remote: boolean;
  remoteResourceId: string | null;
  uiLocation: string;
  created: string;
}

export interface User {
  id: string;
  login: string;
  email: string;
  displayName: string;
  admin: boolean;
  disabled: boolean;
  created: string;
}
