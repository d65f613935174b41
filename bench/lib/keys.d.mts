export declare function newKey(): { secret: string; hash: string; prefix: string };
