import { Controller, Get, Redirect, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { NodeConfig } from '@clusterlite/core';
import type { Response } from 'express';
import { consolePage } from './console.page.js';
import { CONSOLE_SCRIPT } from './console.script.js';
import { CONSOLE_STYLES } from './console.styles.js';
import { Public } from '../access/access-policy.js';

/** Everything the page loads comes from this node: no CDN, nothing inline. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web console: one page, its script and its stylesheet, served by every
 * node under a prefix no table name can take. The page names the node that
 * served it; the script reads everything else from the REST API.
 */
@Public()
@ApiExcludeController()
@Controller()
export class ConsoleController {
  constructor(private readonly config: NodeConfig) {}

  @Get()
  @Redirect('/_console/', 302)
  root(): void {}

  // Express routes are not strict: this also answers `/_console/`.
  @Get('_console')
  page(@Res({ passthrough: true }) response: Response): string {
    this.asset(response, 'html');
    return consolePage(this.config.nodeId);
  }

  @Get('_console/console.js')
  script(@Res({ passthrough: true }) response: Response): string {
    this.asset(response, 'text/javascript');
    return CONSOLE_SCRIPT;
  }

  @Get('_console/console.css')
  styles(@Res({ passthrough: true }) response: Response): string {
    this.asset(response, 'text/css');
    return CONSOLE_STYLES;
  }

  private asset(response: Response, type: string): void {
    response.type(type);
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    response.setHeader('Referrer-Policy', 'no-referrer');
  }
}
