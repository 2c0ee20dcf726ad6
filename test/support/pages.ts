import type request from 'supertest';

/** One answer of a paged route. */
export interface PageAnswer<T> {
  body: T[];
  headers: Record<string, string>;
}

/**
 * GETs `url`, then each `Link: rel="next"` in turn, every one answering 200:
 * the answers in order.
 */
export async function followPages<T>(
  http: ReturnType<typeof request>,
  url: string,
): Promise<PageAnswer<T>[]> {
  const pages: PageAnswer<T>[] = [];
  let next: string | undefined = url;
  while (next) {
    if (pages.length === 1000) throw new Error(`${url}: over 1,000 pages`);
    const answer = (await http.get(next).expect(200)) as PageAnswer<T>;
    pages.push(answer);
    next = /<([^>]+)>; rel="next"/.exec(answer.headers.link ?? '')?.[1];
  }
  return pages;
}
