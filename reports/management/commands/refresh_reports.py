from django.core.management.base import BaseCommand

from reports.services import report_rollups_refresh


class Command(BaseCommand):
    help = (
        "Bring the reports' rollups up to date (showtimes changed since the last run). Run it "
        "from cron every few minutes, on any number of hosts; --rebuild computes them all again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="Compute every showtime's rollups again."
        )

    def handle(self, *args, rebuild=False, **options):
        result = report_rollups_refresh(rebuild=rebuild)
        if result.skipped:
            self.stdout.write("Another refresh is running; nothing done.")
        else:
            what = "rebuilt" if result.rebuilt else "refreshed"
            self.stdout.write(f"Rollups {what}: {result.showtimes} showtimes.")
