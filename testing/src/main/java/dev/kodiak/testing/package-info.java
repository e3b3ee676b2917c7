/**
 * Test and measurement support: headless Chromium through Selenium, for the tests of every
 * module that has a page (the server's blog, the widget, {@code kodiak clean}) and for the
 * widget's measurements; and the machine description every committed result carries. Its own
 * module, so that Selenium is on no other module's class path unless that module drives a
 * browser or writes results.
 */
package dev.kodiak.testing;
