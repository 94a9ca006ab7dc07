// Pages are addressed by the URL's fragment (#/communities/<uuid>), so that the server serves
// one document for all of them and every address can be bookmarked.
import { useEffect, useState } from "preact/hooks";

export function useRoute(): string[] {
  const parse = () =>
    location.hash
      .replace(/^#\/?/, "")
      .split("?")[0]
      .split("/")
      .filter((s) => s !== "")
      .map((part) => {
        try {
          return decodeURIComponent(part);
        } catch {
          return part; // a malformed escape: the part as it is
        }
      });
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const changed = () => setRoute(parse());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export function href(...parts: string[]): string {
  return "#/" + parts.map(encodeURIComponent).join("/");
}

export function go(...parts: string[]) {
  location.hash = href(...parts);
}
