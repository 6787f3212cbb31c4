package io.guerrilla.smtpd.http;

/**
 * A request the server will not serve as asked: becomes a JSON error with this status, naming the
 * offending parameter when there is one. Thrown by handlers; {@link HttpListener} writes it.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String parameter;

    public ApiError(int status, String parameter, String message) {
        super(message, null, false, false);
        this.status = status;
        this.parameter = parameter;
    }

    /** 400 for a parameter that is missing, malformed or out of range. */
    public static ApiError badParameter(String parameter, String message) {
        return new ApiError(400, parameter, parameter + ": " + message);
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, null, message);
    }

    public int status() {
        return status;
    }

    /** The query or path parameter at fault; null when the fault is not one parameter's. */
    public String parameter() {
        return parameter;
    }
}
