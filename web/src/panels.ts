// What each remote application shows in a community's page, as data: where its items are
// listed and created, which fields a new one has, where one item's details and its replies
// live, and what a member can do to it. One panel (pages/panel.tsx) renders them all.
export interface PanelSpec {
  title: string; // message key
  list: (resource: string, community: string) => string;
  create?: { path: (resource: string, community: string) => string; fields: ("title" | "content")[] };
  upload?: (resource: string) => string; // a file upload (Files)
  label: (item: Item) => string;
  detail?: (item: Item) => string;
  // Replies, comments or versions: a key of the item's details, or a path of their own.
  children?: { key?: string; path?: (item: Item) => string; title: string; add?: (item: Item) => string };
  download?: (item: Item) => string;
  vote?: (item: Item) => string;
  todo?: (item: Item) => string; // PUT {done}
  entries?: { list: (item: Item) => string; create: (item: Item) => string }; // activities
}

export type Item = Record<string, any>;

// Ids from the server, encoded all the same as they go into a path.
const e = (id: unknown) => encodeURIComponent(String(id));

const blog: PanelSpec = {
  title: "app.Blog",
  list: (r) => `/blogs/api/blogs/${e(r)}/entries`,
  create: { path: (r) => `/blogs/api/blogs/${e(r)}/entries`, fields: ["title", "content"] },
  label: (i) => i.title,
  detail: (i) => `/blogs/api/entries/${e(i.id)}`,
  children: { key: "commentList", title: "panel.comments", add: (i) => `/blogs/api/entries/${e(i.id)}/comments` },
};

export const panels: Record<string, PanelSpec> = {
  Blog: blog,
  IdeationBlog: {
    ...blog,
    title: "app.IdeationBlog",
    vote: (i) => `/blogs/api/entries/${e(i.id)}/votes`,
  },
  Forum: {
    title: "app.Forum",
    list: (r) => `/forums/api/forums/${e(r)}/topics`,
    create: { path: (r) => `/forums/api/forums/${e(r)}/topics`, fields: ["title", "content"] },
    label: (i) => i.title,
    detail: (i) => `/forums/api/topics/${e(i.id)}`,
    children: { key: "replies", title: "panel.replies", add: (i) => `/forums/api/topics/${e(i.id)}/replies` },
  },
  Wiki: {
    title: "app.Wiki",
    list: (r) => `/wikis/api/wikis/${e(r)}/pages`,
    create: { path: (r) => `/wikis/api/wikis/${e(r)}/pages`, fields: ["title", "content"] },
    label: (i) => i.title,
    detail: (i) => `/wikis/api/pages/${e(i.id)}`,
    children: { path: (i) => `/wikis/api/pages/${e(i.id)}/versions`, title: "panel.versions" },
  },
  StatusUpdates: {
    title: "app.StatusUpdates",
    list: (r) => `/news/api/boards/${e(r)}/posts`,
    create: { path: (r) => `/news/api/boards/${e(r)}/posts`, fields: ["content"] },
    label: (i) => i.content,
    detail: (i) => `/news/api/posts/${e(i.id)}`,
    children: { key: "comments", title: "panel.comments", add: (i) => `/news/api/posts/${e(i.id)}/comments` },
  },
  Library: {
    title: "app.Library",
    list: (r) => `/libraries/api/libraries/${e(r)}/documents`,
    create: { path: (r) => `/libraries/api/libraries/${e(r)}/documents`, fields: ["title", "content"] },
    label: (i) => i.title,
    detail: (i) => `/libraries/api/documents/${e(i.id)}`,
  },
  Activities: {
    title: "app.Activities",
    list: (_, c) => `/activities/api/communities/${e(c)}/activities`,
    create: { path: (_, c) => `/activities/api/communities/${e(c)}/activities`, fields: ["title"] },
    label: (i) => i.title,
    entries: {
      list: (i) => `/activities/api/activities/${e(i.id)}/entries`,
      create: (i) => `/activities/api/activities/${e(i.id)}/entries`,
    },
    todo: (i) => `/activities/api/entries/${e(i.id)}`,
  },
  Files: {
    title: "app.Files",
    list: (r) => `/files/api/libraries/${e(r)}/files`,
    upload: (r) => `/files/api/libraries/${e(r)}/files`,
    label: (i) => i.name,
    download: (i) => `/files/api/files/${e(i.id)}/content`,
  },
};
