"""drf-spectacular: the OpenAPI document, Swagger UI and ReDoc, served with local assets."""

SPECTACULAR_SETTINGS = {
    "TITLE": "Cinema booking API",
    "DESCRIPTION": (
        "Movies, showtimes, seat maps, bookings and payments. Every error has the shape "
        '`{"error": {"code", "message", "details"}}`; see the `ErrorResponse` schema.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AccountStateEnum": "accounts.models.AccountState",
        "AccountStateChangeEnum": ["active", "suspended"],
        "MovieStatusEnum": "catalog.models.MovieStatus",
        "SeatTypeEnum": "screening.models.SeatType",
        "SeatStatusEnum": ["available", "held", "sold"],
        "ShowtimeStatusEnum": "screening.models.ShowtimeStatus",
        "TicketTypeCodeEnum": "booking.models.TicketTypeCode",
        "BookingStatusEnum": "booking.models.BookingStatus",
        "RowSeatTypeEnum": "screening.layouts.ROW_TYPES",
    },
    # After drf-spectacular's own enum hook: the error codes' enum, no request defaults that a
    # generated client would take for required fields (core.openapi.postprocess_schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.postprocess_schema",
    ],
}
