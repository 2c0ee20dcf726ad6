import { Controller, Get, Redirect, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { NodeConfig } from '@clusterlite/core';
import type { Response } from 'express';
import { setConsoleHeaders } from './console-assets.js';
import { consolePage } from './console.page.js';
import { Public } from '../access/access-policy.js';

/**
 * The web console's page, served by every node under a prefix no table name
 * can take. The page names the node that served it; its script and stylesheet
 * are static files (see `serveConsoleAssets`), and the script reads
 * everything else from the REST API.
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
    response.type('html');
    setConsoleHeaders(response);
    return consolePage(this.config.nodeId);
  }
}
